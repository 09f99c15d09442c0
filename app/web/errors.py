"""Every error leaves the server in one JSON shape: {"error": message, "status": code}
(a 412 on a stale step adds the session's "state").

The core's and the stores' exceptions become statuses here, and only here.
"""

import math

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


def as_api_error(error):
    """The ApiError a core or store exception stands for, in a student's words."""
    if isinstance(error, StepRefused):
        return ApiError(409, teaching()["refused"][error.reason].format(**error.details))
    if isinstance(error, UnknownSession):
        return ApiError(404, f"no session {error.session_id[:40]!r}: it never existed, was "
                             "deleted or expired; create a new one with POST /api/sessions")
    if isinstance(error, TooManySteps):
        return ApiError(429, "too many steps on this session; wait a moment",
                        headers={"Retry-After": str(max(1, math.ceil(error.seconds_left)))})
    if isinstance(error, SessionBusy):
        return ApiError(503, f"this session is busy with other steps (waited "
                             f"{error.waited_seconds:g} s); try again in a moment")
    if isinstance(error, UnknownClass):
        return ApiError(404, f"no class {error.code[:12]!r}: check the code; a class is "
                             "forgotten once its teacher leaves it")
    if isinstance(error, ClassEnded):
        return ApiError(410, f"class {error.code} has ended")
    if isinstance(error, SessionTaught):
        return ApiError(409, f"this run is already taught live, as class {error.code}")
    if isinstance(error, NotReady):
        return ApiError(503, f"MNIST is being prepared on the server, once after it starts "
                             f"({PREPARING[error.stage]}: {error.progress:.0%}); try again in "
                             f"a moment", headers={"Retry-After": str(PREPARING_RETRY_SECONDS)},
                        fields={"preparing": {"dataset": "mnist", "stage": error.stage,
                                              "progress": round(error.progress, 3)}})
    if isinstance(error, (TooManyClasses, TooManyFollowers)):
        return ApiError(503, f"{error}; try again later", headers={"Retry-After": "60"})
    current_app.logger.warning("session store unreachable: %s", error)
    return ApiError(503, "the session store (Redis) cannot be reached; try again in a moment")


def register(app):
    """Send every error, ours, the core's, the stores', Werkzeug's or unexpected, as JSON."""

    @app.errorhandler(ApiError)
    def api_error(error):
        response = error_response(error.status, error.message, **error.fields)
        response.headers.update(error.headers)
        return response

    @app.errorhandler(StepRefused)
    @app.errorhandler(UnknownSession)
    @app.errorhandler(TooManySteps)
    @app.errorhandler(SessionBusy)
    @app.errorhandler(StoreUnavailable)
    @app.errorhandler(UnknownClass)
    @app.errorhandler(ClassEnded)
    @app.errorhandler(SessionTaught)
    @app.errorhandler(TooManyClasses)
    @app.errorhandler(TooManyFollowers)
    @app.errorhandler(NotReady)
    def domain_error(error):
        return api_error(as_api_error(error))

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
