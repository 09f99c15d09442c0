"""The stepper for a frame in a course page, configured entirely by its query string.

``/embed?dataset=mouse&k=3&init=random&seed=1`` always gives the same run;
``/embed?session=ID`` shows a run made through the API (a notebook's data) as it
stands. The query is checked here, once, against the same catalog and limits as
the API; a bad value answers 400 with the page saying what is wrong (an unknown
session 404), and the page's script gets the clean settings in a ``data-``
attribute (the CSP allows no inline script).
"""

from urllib.parse import urlencode

from flask import Blueprint, current_app, render_template, request, url_for

from app.core import datasets
from app.web import query, schemas, validation
from app.web.catalog import (DEFAULT_INIT, DEFAULT_K, DEFAULT_SEED, algorithm, dataset_entries,
                             limits, start_entries, teaching)
from app.stores.base import StoreError, UnknownSession
from app.web.errors import ApiError, as_api_error
from app.web.sessions import find_session
from app.web.validation import checked
from app.web.security import frame_ancestors

bp = Blueprint("embed", __name__)

RUN_FIELDS = ("dataset", "k", "init", "seed")
FRAME_FIELDS = ("controls", "autoplay", "speed", "panel")
EMBED_FIELDS = ("points", "labels", "centroids", *FRAME_FIELDS)
SESSION = "session"  # a run made through the API, shown instead of one made from the query


@bp.get("/embed")
def embed():
    try:
        if SESSION in request.args:
            options = session_options(request.args, current_app.config)
        else:
            options = embed_options(request.args, current_app.config)
    except UnknownSession:
        message = ("This run is no longer on the server: it expired, was deleted, or the "
                   "server restarted. Make it again where it was made (run the notebook "
                   "cell again).")
        return _page(error=message, title="K-Means Stepper"), 404
    except (ApiError, StoreError) as error:
        error = error if isinstance(error, ApiError) else as_api_error(error)
        message = f"This link to the stepper cannot be opened: {error.message}"
        return _page(error=message, title="K-Means Stepper"), error.status
    return _page(options=options, title=_title(options["settings"]))


def _page(title, options=None, error=""):
    # What the page's script needs of the catalog, without a request for it: the start
    # methods, the limits, the algorithm's words, and the run's data set (its axes' titles).
    config = current_app.config
    catalog = {"starts": start_entries(), "limits": limits(config), **algorithm()}
    if options:
        name = options["settings"]["dataset"]["name"]
        catalog["datasets"] = [entry for entry in dataset_entries(config["MAX_POINTS"])
                               if entry["name"] == name]
    return render_template(
        "embed.html", options=options, error=error, title=title, catalog=catalog,
        pick_button=teaching()["picks"]["button"],
        frame_ancestors=frame_ancestors(config),
        full_page=_full_page_url(request.args, options))


def session_options(args, config):
    """The frame's options for a stored session; UnknownSession when there is none.

    The session's data and start are its own: only the frame's fields go with it."""
    query.refuse_unknown(args, {SESSION, *FRAME_FIELDS}, lambda unknown: (
        f"{unknown!r} does not go with session: the session has its own data and start; "
        f"with it the embed takes {sorted(FRAME_FIELDS)}"))
    session = find_session(query.single(args, SESSION))
    settings = {"dataset": session.data.describe(), "k": session.k, "init": session.init,
                "seed": session.seed}
    frame = validation.validated(schemas.current().embed_frame, _frame_fields(args))
    return {"session": session.id, "settings": settings, "custom": None, "centroids": None,
            **frame.model_dump(include=set(FRAME_FIELDS))}


def embed_options(args, config):
    """The run and the frame's options from a query string; ApiError(400) names what is wrong.

    Each value is read by ``app.web.query`` (given once, integers by its one rule)
    and checked by the same checks as the API's body."""
    def value(name, default=None):
        return query.single(args, name, default)

    name = checked(validation.choice(tuple(datasets.CATALOG)), value("dataset", "blobs"),
                   "dataset")
    params = next(entry["params"] for entry in dataset_entries(config["MAX_POINTS"])
                  if entry["name"] == name)
    query.refuse_unknown(args, {*RUN_FIELDS, *EMBED_FIELDS, *params}, lambda unknown: (
        f"unknown parameter {unknown!r}; data set {name!r} takes "
        f"{sorted(params) or 'no parameters'}, and the embed takes "
        f"{sorted((*RUN_FIELDS, *EMBED_FIELDS))}"))
    given = sorted(set(params) & set(args))
    dataset = {"name": name, **{key: _typed(value(key), params[key]) for key in given}}
    if name != "custom":  # checked by the model that checks it in a new session's body
        checked_dataset = validation.validated(schemas.current().datasets[name], dataset)
        dataset = {"name": name, **{key: getattr(checked_dataset, key) for key in given}}
    run = validation.validated(schemas.current().embed_run, {
        "k": query.scalar(value("k", str(DEFAULT_K))), "init": value("init", DEFAULT_INIT),
        "seed": query.scalar(value("seed", str(DEFAULT_SEED))), **_frame_fields(args)})
    k, init, seed = run.k, run.init, run.seed
    return {
        "settings": {"dataset": dataset, "k": k, "init": init, "seed": seed},
        "custom": _custom_points(value, name, config["MAX_POINTS"]),
        "centroids": _centroids(value("centroids"), init, k, config["MAX_K"]),
        **run.model_dump(include=set(FRAME_FIELDS)),
    }


def _frame_fields(args):
    """The frame's fields given in the query (``schemas.EmbedFrame`` checks them)."""
    given = {name: query.single(args, name) for name in FRAME_FIELDS}
    if given["speed"] is not None:
        given["speed"] = query.scalar(given["speed"])
    return {name: value for name, value in given.items() if value is not None}


def _custom_points(value, name, max_points):
    if name != "custom":
        for key in ("points", "labels"):
            if value(key) is not None:
                raise ApiError(400, f"{key} go only with dataset=custom, not dataset={name}")
        return None
    if not value("points"):
        raise ApiError(400, "dataset=custom needs its points: points=x1,y1,x2,y2,...")
    points = checked(validation.points(max_points), _pairs(value("points"), "points"), "points")
    if value("labels") is None:
        return {"points": points, "labels": None}
    labels = [query.scalar(label) for label in value("labels").split(",")]
    if len(labels) != len(points):
        raise ApiError(400, f"labels has {len(labels)} values for {len(points)} points; "
                            "give one integer label per point")
    for index, label in enumerate(labels):
        checked(validation.integer(0, validation.MAX_LABEL), label, f"labels[{index}]")
    return {"points": points, "labels": labels}


def _centroids(text, init, k, max_k):
    """Starting centroids for init=manual; without them the student clicks them in."""
    if text is None:
        return None
    if init != "manual":
        raise ApiError(400, f"centroids go only with init=manual, not init={init}")
    centroids = checked(validation.points(max_k), _pairs(text, "centroids"), "centroids")
    return validation.one_centroid_per_cluster(centroids, k)


def _typed(text, spec):
    """A data set parameter's query text as the JSON value it stands for."""
    if spec["type"] == "boolean":
        return {"true": True, "1": True, "false": False, "0": False}.get(text.lower(), text)
    if spec.get("nullable") and text in ("", "null"):
        return None
    return query.scalar(text)


def _pairs(text, name):
    values = [query.scalar(value) for value in text.split(",")]
    if len(values) % 2:
        raise ApiError(400, f"{name} must be x,y pairs, x1,y1,x2,y2,...; got {len(values)} numbers")
    return [values[i:i + 2] for i in range(0, len(values), 2)]


def _query_text(value):
    """A data set parameter as its query text (the reverse of ``_typed``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def _title(settings):
    title = teaching()["datasets"][settings["dataset"]["name"]]["title"]
    return f"K-Means Stepper: {title}, k = {settings['k']}"


def _full_page_url(query, options):
    """The full stepper with the same data and start (a session's, but not its points:
    a session's custom data, too many for a link, stay in its frame)."""
    if options and "session" in options:
        settings = options["settings"]
        dataset = settings["dataset"]
        params = {} if dataset["name"] == "custom" else dataset
        kept = urlencode({"dataset": dataset["name"],
                          **{key: _query_text(value) for key, value in params.items()
                             if key != "name"},
                          **{key: settings[key] for key in ("k", "init", "seed")}})
    else:
        kept = urlencode([(key, value) for key, value in query.items(multi=True)
                          if key not in EMBED_FIELDS])
    return url_for("pages.index") + (f"?{kept}" if kept else "")
