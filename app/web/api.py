"""The JSON API under /api: data sets, sessions, and one endpoint per step.

Requests are validated here, once, by the models of ``app.web.schemas``; the
session and engine below trust them.
"""

import hashlib
import re
import time

from flask import Blueprint, current_app, jsonify, request

from app.core import datasets
from app.web import presentation, query, schemas, validation
from app.web.catalog import catalog, dataset_entries
from app.web.errors import ApiError
from app.web.openapi import BAD_BODY, NO_SESSION, SESSION, STEP_ERRORS, STEPS, openapi_document
from app.web.operations import operation
from app.services import sessions as service
from app.stores.base import Precondition, StaleVersion, UnknownSession
from app.web.security import rate_limited
from app.web.sessions import find_session, get_datasets, get_precomputed, get_store

bp = Blueprint("api", __name__, url_prefix="/api")


@operation(bp, "get", "/api/datasets", "Every data set with its parameter schema.",
           answer=schemas.Catalog)
def list_datasets():
    query.read(request.args, schemas.current().no_query)
    return jsonify(datasets=dataset_entries(current_app.config["MAX_POINTS"]))


@operation(bp, "get", "/api/catalog", "What the page builds its form from: data sets, "
           "start methods, limits.", answer=schemas.PageCatalog)
def show_catalog():
    query.read(request.args, schemas.current().no_query)
    return jsonify(catalog(current_app.config))


@operation(bp, "get", "/api/openapi.json", "This document.")
def openapi():
    query.read(request.args, schemas.current().no_query)
    return jsonify(openapi_document(current_app.config, schemas.current()))


@operation(bp, "post", "/api/sessions", "Start a session on a data set.",
           answer=schemas.FullState, status="201", query="state", body="session_create",
           body_required=True,
           errors={**BAD_BODY, "429": "Too many new sessions from this address."},
           extra={"links": True})
@rate_limited("SESSION_CREATE_LIMIT", "too many new sessions from this address; wait a moment")
def create_session():
    asked_for = _state_query()
    asked = validation.validated(schemas.current().session_create, validation.json_body())
    data = _dataset(asked.dataset)
    if asked.k > data.n_samples:
        raise ApiError(400, f"k={asked.k} should be <= n_samples={data.n_samples}")
    found = service.create(get_store(), data, asked.k, asked.init, asked.seed)
    shown = presentation.state(found.session, with_points=True, packed=asked_for.packed)
    response = jsonify(with_ahead(shown, found, asked_for))
    response.status_code = 201
    response.headers["Location"] = f"/api/sessions/{found.session.id}"
    response.set_etag("1")
    return response


@operation(bp, "get", SESSION, "The session in full, with its points.",
           answer=schemas.FullState, query="state",
           errors={"400": "Invalid ahead or packed.", **NO_SESSION})
def show_session(session_id):
    asked_for = _state_query()
    found = get_store().read(session_id)
    if found is None:
        raise UnknownSession(session_id)
    state = presentation.state(found.session, with_points=True, packed=asked_for.packed)
    response = jsonify(with_ahead(state, found, asked_for))
    response.set_etag(str(found.version))
    return response


@operation(bp, "delete", SESSION, "Forget the session.", status="204",
           errors={"400": "Unknown query parameter.", **NO_SESSION})
def delete_session(session_id):
    query.read(request.args, schemas.current().no_query)
    if not service.delete(get_store(), get_precomputed(), session_id):
        raise UnknownSession(session_id)
    return "", 204


@operation(bp, "get", f"{SESSION}/centroids", schemas.Centroids.__doc__,
           answer=schemas.Centroids,
           errors={"400": "Unknown query parameter.", **NO_SESSION, "409": "No centroids yet."})
def show_centroids(session_id):
    query.read(request.args, schemas.current().no_query)
    return jsonify(presentation.full_centroids(find_session(session_id)))


def _step_operation(name, body="no_body"):
    """A step's declaration: they differ only by their name and body."""
    return operation(bp, "post", f"{SESSION}/{name}", STEPS[name], operation_id=f"{name}_step",
                     answer=schemas.State, query="state", body=body, errors=STEP_ERRORS)


@_step_operation("init", body="init")
def init(session_id):
    centroids = _body(schemas.current().init).centroids

    def initialize(session):
        if centroids is not None and session.init != "manual":
            raise ApiError(400, f"centroids are only taken with init='manual', "
                                f"this session has init={session.init!r}")
        if centroids is not None:
            validation.one_centroid_per_cluster(centroids, session.k)
        session.initialize(centroids)

    return _apply(session_id, initialize)


def _plain_step(name):
    """The view of a step that takes no body (an empty one, or {}, is fine): one sent
    with ``Content-Length: 0``, as a page's is, needs no reading."""
    def view(session_id):
        if request.content_length != 0:
            _body(schemas.current().no_body)
        return _apply(session_id, name)
    view.__name__ = name
    return view


for _name in service.STEPS:  # pick, assign, update, step, back, reset: one table
    _step_operation(_name)(_plain_step(_name))


@_step_operation("run", body="run")
def run(session_id):
    max_iter = _body(schemas.current().run).max_iter
    deadline = time.monotonic() + current_app.config["MAX_COMPUTE_SECONDS"]
    return _apply(session_id, lambda session: session.run(max_iter, deadline))


# --- Helpers ----------------------------------------------------------------------

def _state_query():
    """How the answer's state is asked for: ``ahead`` and ``packed`` (``schemas.StateQuery``)."""
    return query.read(request.args, schemas.current().state)


def _body(model):
    return validation.validated(model, validation.json_body())


def _apply(session_id, action):
    """Take the step (``action``: a name of ``service.STEPS`` or a function of the
    session) by the service, and answer the state (no points) and, in its ETag, the
    version the step made.

    With ``If-Match: "<version>"`` the step is taken from that version only: sent
    again after its answer was lost, it answers the state it made; from a version
    the session has left (another tab stepped it), a 412 with the state as it is."""
    asked_for = _state_query()
    precondition = _precondition()
    try:
        stepped = service.step(
            get_store(), get_precomputed(), session_id, action,
            limit=current_app.extensions["step_limit"], precondition=precondition,
            present=lambda session: presentation.state(session, packed=asked_for.packed),
            after_step=current_app.extensions.get("after_step", ()))  # a live class's
    except StaleVersion as stale:
        found = stale.current
        raise ApiError(412, f"this run moved on elsewhere (another tab or window?): the step "
                            f"was asked from version {precondition.version}, the run is at version "
                            f"{found.version}; here it is as it stands",
                       headers={"ETag": f'"{found.version}"'},
                       fields={"state": with_ahead(
                           presentation.state(found.session, packed=asked_for.packed),
                           found, asked_for)}) from None
    found = stepped.found
    answer = with_ahead(stepped.state, found, asked_for)
    if asked_for.ahead and precondition is not None and stepped.labels_unchanged:
        # The client named the version it stepped from, so it has that version's labels,
        # which the step kept: not sent again (a third of an iteration's bytes).
        answer = {key: value for key, value in answer.items() if key != "labels"}
    response = jsonify(answer)
    response.set_etag(str(found.version))
    return response


_IF_MATCH = re.compile(schemas.IF_MATCH)


def _precondition():
    """The version an ``If-Match`` header names, and the request's fingerprint; None
    without one (an empty one, or ``*``: any version). Read as documented, strictly: one quoted
    version of ASCII digits (not W/"7", not 7 unquoted, not "²", which str.isdigit takes)."""
    header = request.headers.get("If-Match", "")
    if not header.strip():
        return None  # none, or empty: no version named
    tag = _IF_MATCH.fullmatch(header.strip())
    if tag is None:
        raise ApiError(400, f"If-Match should be one ETag of this session, e.g. \"7\", "
                            f"not {header[:40]!r}")
    if tag.group("version") is None:
        return None  # *
    fingerprint = hashlib.sha256(request.path.encode() + b"\0" + request.get_data())
    return Precondition(version=int(tag.group("version")), request=fingerprint.hexdigest()[:16])


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
