"""Probes for a container platform or load balancer: is the process up, can it serve."""

from flask import Blueprint, current_app, jsonify

from app.web.errors import error_response

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process answers; says nothing of the store, so a Redis outage restarts nothing."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """The session store answers: send this server students."""
    if not current_app.extensions["session_store"].ping():
        return error_response(503, "not ready: the session store (Redis) cannot be reached")
    return jsonify(status="ready")
