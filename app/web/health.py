"""Probes for a container platform or load balancer: is the process up, can it serve."""

from flask import Blueprint, current_app, jsonify

from app.stores.base import StoreUnavailable
from app.web.errors import error_response

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process answers; says nothing of the store, so a Redis outage restarts nothing."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """The session store answers: send this server students. Says too whether the
    sessions would outlive a restart of the store (``durable``, and why)."""
    store = current_app.extensions["session_store"]
    unreachable = "not ready: the session store (Redis) cannot be reached"
    if not store.ping():
        return error_response(503, unreachable)
    try:
        durability = store.durability()
    except StoreUnavailable:
        return error_response(503, unreachable)
    return jsonify(status="ready", durable=durability.durable, sessions=durability.detail)
