"""The JSON API under /api: data sets, sessions, and one endpoint per step.

Each view is handed its query, body and If-Match validated by its declaration
(``app.web.operations``), once, by the models of ``app.web.schemas``; the
session and engine below trust them.
"""

import time

from flask import Blueprint, current_app, jsonify

from app.core import datasets
from app.web import presentation, schemas, validation
from app.web.catalog import catalog, dataset_entries
from app.web.errors import ApiError
from app.web.openapi import BAD_BODY, NO_SESSION, SESSION, STEP_ERRORS, STEPS, openapi_document
from app.web.operations import operation
from app.services import sessions as service
from app.stores.base import StaleVersion, UnknownSession
from app.web.security import rate_limited
from app.web.sessions import find_session, get_datasets, get_precomputed, get_store

bp = Blueprint("api", __name__, url_prefix="/api")


@operation(bp, "get", "/api/datasets", "Every data set with its parameter schema.",
           answer=schemas.Catalog)
def list_datasets():
    return jsonify(datasets=dataset_entries(current_app.config["MAX_POINTS"]))


@operation(bp, "get", "/api/catalog", "What the page builds its form from: data sets, "
           "start methods, limits.", answer=schemas.PageCatalog)
def show_catalog():
    return jsonify(catalog(current_app.config))


@operation(bp, "get", "/api/openapi.json", "This document.")
def openapi():
    return jsonify(openapi_document(current_app.config, schemas.current()))


@operation(bp, "post", "/api/sessions", "Start a session on a data set.",
           answer=schemas.FullState, status="201", query="state", body="session_create",
           body_required=True,
           errors={**BAD_BODY, "429": "Too many new sessions from this address."},
           extra={"links": True})
@rate_limited("SESSION_CREATE_LIMIT", "too many new sessions from this address; wait a moment")
def create_session(query, body):
    data = _dataset(body.dataset)
    if body.k > data.n_samples:
        raise ApiError(400, f"k={body.k} should be <= n_samples={data.n_samples}")
    found = service.create(get_store(), data, body.k, body.init, body.seed)
    shown = presentation.state(found.session, with_points=True, packed=query.packed)
    response = jsonify(with_ahead(shown, found, query))
    response.status_code = 201
    response.headers["Location"] = f"/api/sessions/{found.session.id}"
    response.set_etag("1")
    return response


@operation(bp, "get", SESSION, "The session in full, with its points.",
           answer=schemas.FullState, query="state",
           errors={"400": "Invalid ahead or packed.", **NO_SESSION})
def show_session(session_id, query):
    found = get_store().read(session_id)
    if found is None:
        raise UnknownSession(session_id)
    state = presentation.state(found.session, with_points=True, packed=query.packed)
    response = jsonify(with_ahead(state, found, query))
    response.set_etag(str(found.version))
    return response


@operation(bp, "delete", SESSION, "Forget the session.", status="204",
           errors={"400": "Unknown query parameter.", **NO_SESSION})
def delete_session(session_id):
    if not service.delete(get_store(), get_precomputed(), session_id):
        raise UnknownSession(session_id)
    return "", 204


@operation(bp, "get", f"{SESSION}/centroids", schemas.Centroids.__doc__,
           answer=schemas.Centroids,
           errors={"400": "Unknown query parameter.", **NO_SESSION, "409": "No centroids yet."})
def show_centroids(session_id):
    return jsonify(presentation.full_centroids(find_session(session_id)))


def _step_operation(name, body="no_body"):
    """A step's declaration: they differ only by their name and body."""
    return operation(bp, "post", f"{SESSION}/{name}", STEPS[name], operation_id=f"{name}_step",
                     answer=schemas.State, query="state", body=body, if_match=True,
                     errors=STEP_ERRORS)


@_step_operation("init", body="init")
def init(session_id, query, body, precondition):
    centroids = body.centroids

    def initialize(session):
        if centroids is not None and session.init != "manual":
            raise ApiError(400, f"centroids are only taken with init='manual', "
                                f"this session has init={session.init!r}")
        if centroids is not None:
            validation.one_centroid_per_cluster(centroids, session.k)
        session.initialize(centroids)

    return _apply(session_id, initialize, query, precondition)


def _plain_step(name):
    """The view of a step that takes no body (an empty one, or {}, is fine)."""
    def view(session_id, query, precondition):
        return _apply(session_id, name, query, precondition)
    view.__name__ = name
    return view


for _name in service.STEPS:  # pick, assign, update, step, back, reset: one table
    _step_operation(_name)(_plain_step(_name))


@_step_operation("run", body="run")
def run(session_id, query, body, precondition):
    deadline = time.monotonic() + current_app.config["MAX_COMPUTE_SECONDS"]
    return _apply(session_id, lambda session: session.run(body.max_iter, deadline), query,
                  precondition)


# --- Helpers ----------------------------------------------------------------------

def _apply(session_id, action, query, precondition):
    """Take the step (``action``: a name of ``service.STEPS`` or a function of the
    session) by the service, and answer the state (no points, as ``query``, a
    ``schemas.StateQuery``, asks) and, in its ETag, the version the step made.

    With ``If-Match: "<version>"`` the step is taken from that version only: sent
    again after its answer was lost, it answers the state it made; from a version
    the session has left (another tab stepped it), a 412 with the state as it is."""
    try:
        stepped = service.step(
            get_store(), get_precomputed(), session_id, action,
            limit=current_app.extensions["step_limit"], precondition=precondition,
            present=lambda session: presentation.state(session, packed=query.packed),
            after_step=current_app.extensions.get("after_step", ()))  # a live class's
    except StaleVersion as stale:
        found = stale.current
        raise ApiError(412, f"this run moved on elsewhere (another tab or window?): the step "
                            f"was asked from version {precondition.version}, the run is at version "
                            f"{found.version}; here it is as it stands",
                       headers={"ETag": f'"{found.version}"'},
                       fields={"state": with_ahead(
                           presentation.state(found.session, packed=query.packed),
                           found, query)}) from None
    found = stepped.found
    answer = with_ahead(stepped.state, found, query)
    if query.ahead and precondition is not None and stepped.labels_unchanged:
        # The client named the version it stepped from, so it has that version's labels,
        # which the step kept: not sent again (a third of an iteration's bytes).
        answer = {key: value for key, value in answer.items() if key != "labels"}
    response = jsonify(answer)
    response.set_etag(str(found.version))
    return response


def with_ahead(state, found, asked_for):
    """Asked with ``?ahead=1``, the answer (``state``, of ``found``: a stored session
    and its version) says under "next" what the next step would change
    (``presentation.ahead``), worked out once and kept for when that step is taken."""
    if asked_for.ahead:
        state["next"] = presentation.ahead(
            found.session, lambda: get_precomputed().preview(found), state,
            packed=asked_for.packed)
    return state


def _dataset(asked):
    """The shared data set for a validated ``dataset`` field."""
    if asked.name == "custom":
        return datasets.make_custom(asked.points, asked.labels)
    return get_datasets().load(asked.name, asked.model_dump(exclude={"name"}))
