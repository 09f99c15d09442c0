"""Every error leaves the server in one JSON shape: {"error": message, "status": code}."""

import redis
from flask import current_app, jsonify
from werkzeug.exceptions import HTTPException


class ApiError(Exception):
    """A request the API refuses, with the status and a message saying why."""

    def __init__(self, status, message, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def error_response(status, message):
    response = jsonify(error=message, status=status)
    response.status_code = status
    return response


def register(app):
    """Send every error, ours, Werkzeug's or unexpected, as JSON."""

    @app.errorhandler(ApiError)
    def api_error(error):
        response = error_response(error.status, error.message)
        response.headers.update(error.headers)
        return response

    @app.errorhandler(HTTPException)
    def http_error(error):
        messages = {
            404: "no such page or endpoint",
            405: "this endpoint does not take that method",
            413: f"request body too large: at most {current_app.config['MAX_CONTENT_LENGTH']} bytes",
        }
        response = error_response(error.code, messages.get(error.code, error.description))
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(redis.ConnectionError)
    @app.errorhandler(redis.TimeoutError)
    def store_unreachable(error):
        current_app.logger.warning("session store unreachable: %s", error)
        return error_response(503, "the session store (Redis) cannot be reached; "
                                   "try again in a moment")

    @app.errorhandler(Exception)
    def unexpected_error(error):
        current_app.logger.exception("unexpected error")
        return error_response(500, "internal error: the server could not do this step")
