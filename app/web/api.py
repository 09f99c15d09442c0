"""The JSON API under /api: data sets, sessions, and one endpoint per step.

Requests are validated here, once; the session and engine below trust them.
"""

import hashlib
import time

from flask import Blueprint, current_app, jsonify, request

from app.core import datasets, engine
from app.web import presentation, validation
from app.web.catalog import catalog, dataset_entries
from app.web.errors import ApiError
from app.web.openapi import openapi_document
from app.core.session import Session
from app.stores.base import Seen, StaleVersion, UnknownSession
from app.web.sessions import find_session, get_store

bp = Blueprint("api", __name__, url_prefix="/api")

SESSION_FIELDS = ("dataset", "k", "init", "seed")


@bp.get("/datasets")
def list_datasets():
    return jsonify(datasets=dataset_entries(current_app.config["MAX_POINTS"]))


@bp.get("/catalog")
def show_catalog():
    return jsonify(catalog(current_app.config))


@bp.get("/openapi.json")
def openapi():
    document = openapi_document(current_app.config)
    for paths in current_app.extensions.get("openapi_paths", ()):  # e.g. app.web.live's
        document["paths"].update(paths(current_app.config))
    return jsonify(document)


@bp.post("/sessions")
def create_session():
    ahead = validation.query_flag("ahead")
    body = validation.json_body()
    validation.only_fields(body, SESSION_FIELDS)
    config = current_app.config
    data = _dataset(body.get("dataset"), config["MAX_POINTS"])
    if "k" not in body:
        raise ApiError(400, "k is required: the number of clusters")
    k = validation.integer(body["k"], "k", 1, config["MAX_K"])
    if k > data.n_samples:
        raise ApiError(400, f"k={k} should be <= n_samples={data.n_samples}")
    init = validation.choice(body.get("init", "kmeans++"), "init", engine.INIT_METHODS)
    seed = validation.integer(body.get("seed", 0), "seed", 0, datasets.SEED_MAX)
    session = Session(data=data, k=k, init=init, seed=seed)
    get_store().put(session)
    response = jsonify(_with_ahead(presentation.state(session, with_points=True), session, ahead))
    response.status_code = 201
    response.headers["Location"] = f"/api/sessions/{session.id}"
    response.set_etag("1")
    return response


@bp.get("/sessions/<session_id>")
def show_session(session_id):
    ahead = validation.query_flag("ahead")
    found = get_store().read(session_id)
    if found is None:
        raise UnknownSession(session_id)
    state = presentation.state(found.session, with_points=True)
    response = jsonify(_with_ahead(state, found.session, ahead))
    response.set_etag(str(found.version))
    return response


@bp.delete("/sessions/<session_id>")
def delete_session(session_id):
    if not get_store().delete(session_id):
        raise UnknownSession(session_id)
    return "", 204


@bp.get("/sessions/<session_id>/centroids")
def show_centroids(session_id):
    return jsonify(presentation.full_centroids(find_session(session_id)))


@bp.post("/sessions/<session_id>/init")
def init(session_id):
    body = validation.json_body()
    validation.only_fields(body, ("centroids",))

    def initialize(session):
        centroids = body.get("centroids")
        if centroids is not None and session.init != "manual":
            raise ApiError(400, f"centroids are only taken with init='manual', "
                                f"this session has init={session.init!r}")
        if centroids is not None:
            validation.points(centroids, "centroids", session.k, session.k)
        session.initialize(centroids)

    return _apply(session_id, initialize)


@bp.post("/sessions/<session_id>/assign")
def assign(session_id):
    return _apply_plain(session_id, Session.assign)


@bp.post("/sessions/<session_id>/update")
def update(session_id):
    return _apply_plain(session_id, Session.update)


@bp.post("/sessions/<session_id>/step")
def step(session_id):
    return _apply_plain(session_id, Session.step)


@bp.post("/sessions/<session_id>/back")
def back(session_id):
    return _apply_plain(session_id, Session.back)


@bp.post("/sessions/<session_id>/reset")
def reset(session_id):
    return _apply_plain(session_id, Session.reset)


@bp.post("/sessions/<session_id>/run")
def run(session_id):
    body = validation.json_body()
    validation.only_fields(body, ("max_iter",))
    config = current_app.config
    max_iter = validation.integer(body.get("max_iter", config["DEFAULT_MAX_ITER"]),
                                  "max_iter", 0, config["MAX_ITER"])
    deadline = time.monotonic() + config["MAX_COMPUTE_SECONDS"]
    return _apply(session_id, lambda session: session.run(max_iter, deadline))


# --- Helpers ----------------------------------------------------------------------

def _apply_plain(session_id, action):
    """A step that takes no body (an empty one, or {}, is fine)."""
    validation.only_fields(validation.json_body(), ())
    return _apply(session_id, action)


def _apply(session_id, action):
    """Count the step against its session's limit and take it (``action`` on the
    session; the store makes it one atomic change), answer the state (no points)
    and, in its ETag, the version the step made.

    With ``If-Match: "<version>"`` the step is taken from that version only: sent
    again after its answer was lost, it answers the state it made; from a version
    the session has left (another tab stepped it), a 412 with the state as it is."""
    ahead = validation.query_flag("ahead")
    seen = _seen()
    try:
        found = get_store().apply(session_id, action, limit=current_app.extensions["step_limit"],
                                  seen=seen)
    except StaleVersion as stale:
        found = stale.current
        raise ApiError(412, f"this run moved on elsewhere (another tab or window?): the step "
                            f"was asked from version {seen.version}, the run is at version "
                            f"{found.version}; here it is as it stands",
                       headers={"ETag": f'"{found.version}"'},
                       fields={"state": _with_ahead(presentation.state(found.session),
                                                    found.session, ahead)}) from None
    state = presentation.state(found.session)
    for announce in current_app.extensions.get("after_step", ()):  # a live class (app.web.live)
        announce(found.session, state)
    response = jsonify(_with_ahead(state, found.session, ahead))
    response.set_etag(str(found.version))
    return response


def _seen():
    """The version an ``If-Match`` header names, and the request's fingerprint; None
    without one (or with ``*``: any version)."""
    tags = request.if_match
    if not tags or tags.star_tag:
        return None
    versions = list(tags.as_set())
    if len(versions) != 1 or not versions[0].isdigit() or len(versions[0]) > 18:
        raise ApiError(400, f"If-Match should be one ETag of this session, e.g. \"7\", "
                            f"not {request.headers['If-Match'][:40]!r}")
    fingerprint = hashlib.sha256(request.path.encode() + b"\0" + request.get_data())
    return Seen(version=int(versions[0]), request=fingerprint.hexdigest()[:16])


def _with_ahead(state, session, ahead):
    """Asked with ``?ahead=1``, the answer (``state``, the session's) says under
    "next" what the next step would change (``presentation.ahead``)."""
    if ahead:
        state["next"] = presentation.ahead(session, state)
    return state


def _dataset(spec, max_points):
    """The shared data set for a request's ``dataset`` field (a name, or name and params)."""
    if spec is None:
        raise ApiError(400, 'dataset is required, e.g. {"name": "blobs"}')
    if isinstance(spec, str):
        spec = {"name": spec}
    if not isinstance(spec, dict):
        raise ApiError(400, "dataset must be a name or an object with a name and parameters")
    name = validation.choice(spec.get("name"), "dataset.name", tuple(datasets.CATALOG))
    if name == "custom":
        return _custom_dataset(spec, max_points)
    schema = datasets.CATALOG[name]["params"]
    validation.only_fields(spec, ("name", *schema), where=f"data set {name!r}")
    params = {}
    for key, param in schema.items():
        value = spec.get(key, param["default"])
        params[key] = validation.by_schema(value, f"dataset.{key}", param)
    if params.get("n_samples", 0) > max_points:
        raise ApiError(400, f"dataset.n_samples={params['n_samples']} is over the limit "
                            f"of {max_points} points")
    return datasets.load(name, params)


def _custom_dataset(spec, max_points):
    validation.only_fields(spec, ("name", "points", "labels"), where="data set 'custom'")
    if "points" not in spec:
        raise ApiError(400, 'the custom data set needs "points": [[x, y], ...]')
    points = validation.points(spec["points"], "dataset.points", max_points)
    labels = spec.get("labels")
    if labels is not None:
        if not isinstance(labels, list) or len(labels) != len(points):
            raise ApiError(400, f"dataset.labels must be a list of {len(points)} integers, "
                                "one per point")
        for index, label in enumerate(labels):
            validation.integer(label, f"dataset.labels[{index}]", 0, 999)
    return datasets.make_custom(points, labels)
