"""The stepper for a frame in a course page, configured entirely by its query string.

``/embed?dataset=mouse&k=3&init=random&seed=1`` always gives the same run. The
query is checked here, once, against the same catalog and limits as the API; a
bad value answers 400 with the page saying what is wrong, and the page's
script gets the clean settings in a ``data-`` attribute (the CSP allows no
inline script).
"""

import re
from urllib.parse import urlencode

from flask import Blueprint, current_app, render_template, request, url_for

from app.core import datasets, engine
from app.web import validation
from app.web.catalog import (DEFAULT_INIT, DEFAULT_K, DEFAULT_SEED, DEFAULT_SPEED, MIN_SPEED,
                             dataset_entries, limits, start_entries, teaching)
from app.web.errors import ApiError
from app.web.security import frame_ancestors

bp = Blueprint("embed", __name__)

CONTROLS = ("init", "assign", "update", "step", "run", "back", "reset", "speed")
DEFAULT_CONTROLS = ("step", "back", "reset", "run")
RUN_FIELDS = ("dataset", "k", "init", "seed")
EMBED_FIELDS = ("points", "labels", "centroids", "controls", "autoplay", "speed")

INTEGER = re.compile(r"-?\d+")
NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


@bp.get("/embed")
def embed():
    try:
        options = embed_options(request.args, current_app.config)
    except ApiError as error:
        message = f"This link to the stepper cannot be opened: {error.message}"
        return _page(error=message, title="K-Means Stepper"), 400
    return _page(options=options, title=_title(options["settings"]))


def _page(title, options=None, error=""):
    # What the page's script needs of the catalog, without a request for it.
    catalog = {"starts": start_entries(), "limits": limits(current_app.config)}
    return render_template(
        "embed.html", options=options, error=error, title=title, catalog=catalog,
        frame_ancestors=frame_ancestors(current_app.config),
        full_page=_full_page_url(request.args))


def embed_options(query, config):
    """The run and the frame's options from a query string; ApiError(400) names what is wrong."""
    name = validation.choice(query.get("dataset", "blobs"), "dataset", tuple(datasets.CATALOG))
    schema = dataset_entries(config["MAX_POINTS"])
    params = next(entry["params"] for entry in schema if entry["name"] == name)
    unknown = sorted(set(query) - {*RUN_FIELDS, *EMBED_FIELDS, *params})
    if unknown:
        raise ApiError(400, f"unknown parameter {unknown[0]!r}; data set {name!r} takes "
                            f"{sorted(params) or 'no parameters'}, and the embed takes "
                            f"{sorted((*RUN_FIELDS, *EMBED_FIELDS))}")
    dataset = {"name": name}
    for key in sorted(set(params) & set(query)):
        dataset[key] = validation.by_schema(_scalar(query[key], params[key]), key, params[key])
    k = validation.integer(_scalar(query.get("k", str(DEFAULT_K))), "k", 1, config["MAX_K"])
    init = validation.choice(query.get("init", DEFAULT_INIT), "init", engine.INIT_METHODS)
    seed = validation.integer(_scalar(query.get("seed", str(DEFAULT_SEED))), "seed", 0,
                              datasets.SEED_MAX)
    custom = _custom_points(query, name, config["MAX_POINTS"])
    return {
        "settings": {"dataset": dataset, "k": k, "init": init, "seed": seed},
        "custom": custom,
        "centroids": _centroids(query, init, k),
        "controls": _controls(query.get("controls")),
        "autoplay": _flag(query.get("autoplay", "0"), "autoplay"),
        "speed": validation.integer(_scalar(query.get("speed", str(DEFAULT_SPEED))), "speed",
                                    MIN_SPEED, config["MAX_SPEED"]),
    }


def _custom_points(query, name, max_points):
    if name != "custom":
        for key in ("points", "labels"):
            if key in query:
                raise ApiError(400, f"{key} go only with dataset=custom, not dataset={name}")
        return None
    if not query.get("points"):
        raise ApiError(400, "dataset=custom needs its points: points=x1,y1,x2,y2,...")
    points = validation.points(_pairs(query["points"], "points"), "points", max_points)
    if "labels" not in query:
        return {"points": points, "labels": None}
    labels = [_scalar(label) for label in query["labels"].split(",")]
    if len(labels) != len(points):
        raise ApiError(400, f"labels has {len(labels)} values for {len(points)} points; "
                            "give one integer label per point")
    for index, label in enumerate(labels):
        validation.integer(label, f"labels[{index}]", 0, 999)
    return {"points": points, "labels": labels}


def _centroids(query, init, k):
    """Starting centroids for init=manual; without them the student clicks them in."""
    if "centroids" not in query:
        return None
    if init != "manual":
        raise ApiError(400, f"centroids go only with init=manual, not init={init}")
    return validation.points(_pairs(query["centroids"], "centroids"), "centroids", k, k)


def _controls(text):
    if text is None:
        return DEFAULT_CONTROLS
    wanted = [name.strip() for name in text.split(",") if name.strip()]
    for name in wanted:
        validation.choice(name, "controls", CONTROLS)
    return tuple(name for name in CONTROLS if name in wanted)  # always in the toolbar's order


def _flag(text, name):
    value = _scalar(text, {"type": "boolean"})
    if not isinstance(value, bool):
        raise ApiError(400, f"{name} must be 1 or 0, got {text!r}")
    return value


def _scalar(text, spec=None):
    """A query value as the JSON value it stands for; what is not one stays text,
    so that the validator's message shows it."""
    if spec is not None and spec["type"] == "boolean":
        return {"true": True, "1": True, "false": False, "0": False}.get(text.lower(), text)
    if spec is not None and spec.get("nullable") and text in ("", "null"):
        return None
    if INTEGER.fullmatch(text):
        return int(text)
    if NUMBER.fullmatch(text):
        return float(text)
    return text


def _pairs(text, name):
    values = [_scalar(value) for value in text.split(",")]
    if len(values) % 2:
        raise ApiError(400, f"{name} must be x,y pairs, x1,y1,x2,y2,...; got {len(values)} numbers")
    return [values[i:i + 2] for i in range(0, len(values), 2)]


def _title(settings):
    title = teaching()["datasets"][settings["dataset"]["name"]]["title"]
    return f"K-Means Stepper: {title}, k = {settings['k']}"


def _full_page_url(query):
    """The full stepper with the same data and start (it takes no custom points)."""
    kept = urlencode([(key, value) for key, value in query.items(multi=True)
                      if key not in EMBED_FIELDS])
    return url_for("pages.index") + (f"?{kept}" if kept else "")
