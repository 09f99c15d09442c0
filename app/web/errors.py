"""Every error leaves the server in one JSON shape: {"error": message, "status": code}
(a 412 on a stale step adds the session's "state").

The core's and the stores' exceptions become statuses here, and only here.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, jsonify
from werkzeug.exceptions import HTTPException

from app.core.datasets import NotReady
from app.core.session import StepRefused
from app.web.catalog import teaching
from app.stores.base import SessionBusy, StoreUnavailable, TooManySteps, UnknownSession
from app.stores.live import (ClassEnded, SessionTaught, TooManyClasses, TooManyFollowers,
                             UnknownClass)


class ApiError(Exception):
    """A request the API refuses, with the status and a message saying why."""

    def __init__(self, status, message, headers=None, fields=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.fields = fields or {}


# What MNIST's preparation is doing, in words; and how soon to ask again meanwhile.
PREPARING = {"starting": "starting", "parsing": "reading the digits",
             "pca": "computing the principal components", "saving": "saving them"}
PREPARING_RETRY_SECONDS = 1


def error_response(status, message, **fields):
    response = jsonify(error=message, status=status, **fields)
    response.status_code = status
    return response


@dataclass(frozen=True)
class Status:
    """How an exception of the core or the stores is answered: its status, its message
    in a student's words, and any headers and fields besides."""

    code: int
    message: Callable
    headers: Callable = lambda error: {}
    fields: Callable = lambda error: {}


def _log_unreachable(error):
    current_app.logger.warning("session store unreachable: %s", error)
    return "the session store (Redis) cannot be reached; try again in a moment"


_RETRY_LATER = Status(503, lambda error: f"{error}; try again later",
                      headers=lambda error: {"Retry-After": "60"})

# Every exception of the core and the stores that reaches a client, and how it is
# answered: the one table of them.
STATUSES = {
    StepRefused: Status(409, lambda error: teaching()["refused"][error.reason].format(
        **error.details)),
    UnknownSession: Status(404, lambda error: (
        f"no session {error.session_id[:40]!r}: it never existed, was deleted or expired; "
        "create a new one with POST /api/sessions")),
    TooManySteps: Status(429, lambda error: "too many steps on this session; wait a moment",
                         headers=lambda error: {
                             "Retry-After": str(max(1, math.ceil(error.seconds_left)))}),
    SessionBusy: Status(503, lambda error: (
        f"this session is busy with other steps (waited {error.waited_seconds:g} s); "
        "try again in a moment")),
    UnknownClass: Status(404, lambda error: (
        f"no class {error.code[:12]!r}: check the code; a class is forgotten once its "
        "teacher leaves it")),
    ClassEnded: Status(410, lambda error: f"class {error.code} has ended"),
    SessionTaught: Status(409, lambda error: (
        f"this run is already taught live, as class {error.code}")),
    NotReady: Status(503, lambda error: (
        f"MNIST is being prepared on the server, once after it starts "
        f"({PREPARING[error.stage]}: {error.progress:.0%}); try again in a moment"),
        headers=lambda error: {"Retry-After": str(PREPARING_RETRY_SECONDS)},
        fields=lambda error: {"preparing": {"dataset": "mnist", "stage": error.stage,
                                            "progress": round(error.progress, 3)}}),
    TooManyClasses: _RETRY_LATER,
    TooManyFollowers: _RETRY_LATER,
    StoreUnavailable: Status(503, _log_unreachable),
}


def as_api_error(error):
    """The ApiError a core or store exception stands for (``STATUSES``)."""
    for kind in type(error).__mro__:
        if kind in STATUSES:
            status = STATUSES[kind]
            return ApiError(status.code, status.message(error), headers=status.headers(error),
                            fields=status.fields(error))
    raise TypeError(f"{type(error).__name__} has no status in errors.STATUSES")


def register(app):
    """Send every error, ours, the core's, the stores', Werkzeug's or unexpected, as JSON."""

    @app.errorhandler(ApiError)
    def api_error(error):
        response = error_response(error.status, error.message, **error.fields)
        response.headers.update(error.headers)
        return response

    def domain_error(error):
        return api_error(as_api_error(error))

    for kind in STATUSES:
        app.register_error_handler(kind, domain_error)

    @app.errorhandler(HTTPException)
    def http_error(error):
        messages = {
            404: "no such page or endpoint",
            405: "this endpoint does not take that method",
            413: f"request body too large: at most {current_app.config['MAX_CONTENT_LENGTH']} bytes",
            414: f"the URL is too long: at most {current_app.config['MAX_URL_LENGTH']} "
                 "characters of path and query string",
        }
        response = error_response(error.code, messages.get(error.code, error.description))
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error):
        current_app.logger.exception("unexpected error")
        return error_response(500, "internal error: the server could not do this step")
