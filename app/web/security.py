"""What a public teaching tool needs against floods and framing tricks.

Rate limits and the headers every answer carries. Limits on sizes live in the
config and are checked where the input is validated.

Session creation is limited per client address, the elbow and restarts per
session (a class behind a school's NAT shares one address), by flask-limiter
(in memory, or in Redis when ``REDIS_URL`` is set): each view says its limit
where it is written, with ``@rate_limited``, and ``init_app`` hands it to the
app's own limiter (one per app, as ``create_app`` makes several). Its
``X-RateLimit-*`` headers would cost two more round trips to its store on every
answer, so only a refusal says when to come back, in ``Retry-After``. Steps are
counted per session by the session store itself, as it saves the step
(``store.StepLimit``): in Redis, one round trip does both. Guesses at names
(the live class's join codes) are counted by ``MissLimit``: misses only.
"""

import logging
import math
import time

from flask import abort, current_app, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits import parse
from limits.errors import StorageError
from werkzeug.middleware.proxy_fix import ProxyFix

from app.web.errors import ApiError, error_response
from app.stores.base import StepLimit

KEY_PREFIX = "kmeans"  # of every count in the rate limits' store


def init_app(app):
    """Trust proxies as configured, add the rate limits, set the headers."""
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies:
        # Only then is X-Forwarded-For the client's address rather than a claim.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    _add_rate_limits(app)
    app.before_request(_refuse_long_urls)
    app.after_request(_set_headers)


def _refuse_long_urls():
    """A URL over ``MAX_URL_LENGTH`` gets a 414 from the app, in JSON: gunicorn's own
    limit, which answers in HTML, is off (gunicorn.conf.py)."""
    uri = request.environ.get("RAW_URI") or request.full_path
    if len(uri) > current_app.config["MAX_URL_LENGTH"]:
        abort(414)


def _add_rate_limits(app):
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    if app.config.get("REDIS_URL"):  # a hung Redis delays no request past the store's timeout
        timeout = app.config["REDIS_TIMEOUT_SECONDS"]
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {
            "socket_timeout": timeout, "socket_connect_timeout": timeout})
    app.config.setdefault("RATELIMIT_ENABLED", app.config["RATE_LIMITS_ENABLED"])
    limiter = Limiter(
        get_remote_address,
        app=app,
        headers_enabled=False,  # but Retry-After on a 429: see _too_many_requests
        # A rate-limit store that is down must not take the stepper down with it.
        swallow_errors=True,
        key_prefix=KEY_PREFIX,
    )
    for endpoint, view in app.view_functions.items():
        if hasattr(view, "rate_limit"):
            app.view_functions[endpoint] = _limited(limiter, view, *view.rate_limit)
    app.extensions["step_limit"] = step_limit(app.config)
    app.extensions["rate_limiter"] = limiter
    app.register_error_handler(RateLimitExceeded, _too_many_requests)


def rate_limited(setting, message, scope=None, per_session=False):
    """Limit a view to the config's ``setting`` ("120 per minute") per client address,
    or per session (its ``session_id``); views of one ``scope`` share one count."""
    def mark(view):
        view.rate_limit = (setting, message, scope, per_session)
        return view
    return mark


def _limited(limiter, view, setting, message, scope, per_session):
    limit = lambda: current_app.config[setting]  # noqa: E731 - read per request
    key = (lambda: request.view_args["session_id"]) if per_session else None
    decorate = limiter.shared_limit(limit, scope=scope, key_func=key, error_message=message) \
        if scope else limiter.limit(limit, key_func=key, error_message=message)
    return decorate(view)


def step_limit(config):
    """``STEP_LIMIT`` ("25 per second") as the stores count it; None with the limits off."""
    if not config["RATE_LIMITS_ENABLED"]:
        return None
    limit = parse(config["STEP_LIMIT"])
    return StepLimit(amount=limit.amount, seconds=limit.get_expiry())


def _too_many_requests(error):
    """The 429 in the API's one JSON shape, saying in Retry-After when to try again."""
    response = error_response(429, error.description)
    response.headers["Retry-After"] = str(_seconds_to_wait(error))
    return response


def _seconds_to_wait(error):
    """Seconds until the breached limit's window ends; its whole window if its store is gone."""
    breached = current_app.extensions["rate_limiter"].current_limit
    try:
        ends = breached.window.reset_time
    except StorageError:
        ends = time.time() + error.limit.limit.get_expiry()
    return max(1, math.ceil(ends - time.time()))


class TooManyMisses(ApiError):
    """A 429: the client's address is past its ``MissLimit``."""

    def __init__(self, message, seconds):
        super().__init__(429, message, headers={"Retry-After": str(seconds)})
        self.seconds = seconds


class MissLimit:
    """A limit on the names a client address asks for that do not exist: the config's
    ``setting`` ("40 per 10 minutes") counts misses alone, so that a class behind one
    NAT address asking for a real name never counts, and an address past it is refused
    every request ``check`` guards, for real names too (else the guesser would still
    learn).

    Counted in flask-limiter's store (in memory, or Redis across workers). The miss
    itself is counted in the one call that is refused past the limit (``hit``), so
    that requests at once do not slip past it, as they would past flask-limiter's
    ``deduct_when``, which counts after the answer.
    """

    def __init__(self, setting, scope, message):
        self.setting, self.scope, self.message = setting, scope, message

    def check(self):
        """Refuse (``TooManyMisses``) an address already past the limit."""
        self._ask(count=False)

    def miss(self):
        """Count a miss; refuse it if it is one past the limit."""
        self._ask(count=True)

    def _ask(self, count):
        limiter = current_app.extensions["rate_limiter"]
        if not limiter.enabled:
            return
        strategy = limiter.limiter
        limit = parse(current_app.config[self.setting])
        key = (KEY_PREFIX, self.scope, get_remote_address())
        try:
            if (strategy.hit if count else strategy.test)(limit, *key):
                return
            ends = strategy.get_window_stats(limit, *key).reset_time
        except strategy.storage.base_exceptions as error:
            # As flask-limiter's swallow_errors: a store that is down lets requests through.
            logging.getLogger("flask-limiter").warning("miss limit not counted: %r", error)
            return
        raise TooManyMisses(self.message, max(1, math.ceil(ends - time.time())))


class _OneLineWarnings(logging.Filter):
    """With its store unreachable, flask-limiter lets every request through and logs a
    traceback for each; one line each says as much (the store's 503s say the rest)."""

    def filter(self, record):
        if record.exc_info:
            record.msg, record.args = f"{record.getMessage()}: {record.exc_info[1]!r}", ()
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


logging.getLogger("flask-limiter").addFilter(_OneLineWarnings())


def content_security_policy(frame_ancestors):
    """The CSP of every answer. Plotly's WebGL traces compile shaders at run time,
    hence 'unsafe-eval'; nothing inline is allowed, script or style."""
    return "; ".join([
        "default-src 'self'",
        "script-src 'self' 'unsafe-eval'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors}",
    ])


def frame_ancestors(config):
    """``FRAME_ANCESTORS``: origins that may frame the stepper, space- or comma-separated;
    "*" (the default) lets any page embed it, since embedding is the point."""
    origins = str(config["FRAME_ANCESTORS"]).replace(",", " ").split()
    if not origins or "*" in origins:
        return "*"
    return " ".join(["'self'", *origins])


def _set_headers(response):
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(
        frame_ancestors(current_app.config))
    headers["X-Content-Type-Options"] = "nosniff"
    # Session ids travel in API paths: never leak them in a Referer.
    headers["Referrer-Policy"] = "no-referrer"
    if request.path.startswith("/api/"):
        headers.setdefault("Cache-Control", "no-store")
    return response
