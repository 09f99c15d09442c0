"""K-Means Stepper: Lloyd's algorithm, one step at a time, in the browser."""

import os

# scikit-learn's k-means kernel runs on OpenMP threads, whose idle threads spin by
# default: on a busy machine a spinning thread takes the core that the thread it
# waits for needs, and a step took ten times longer. Waiting asleep costs
# microseconds. libgomp reads this once it loads, so before scikit-learn is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

from flask import Flask  # noqa: E402

from app.core import datasets  # noqa: E402  (after OMP_WAIT_POLICY: it imports scikit-learn)

DEFAULTS = {
    "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,  # bytes in one request body
    "MAX_POINTS": 20000,  # points in a data set
    "MAX_K": 50,  # clusters
    "DEFAULT_MAX_ITER": 300,  # updates one Run takes at most, unless told
    "MAX_ITER": 1000,  # the most a client may ask one Run for
    "MAX_COMPUTE_SECONDS": 10.0,  # time one request may compute
    "MAX_SESSIONS": 10000,  # live sessions in the in-memory store
    "SESSION_IDLE_SECONDS": 6 * 3600,  # a session unused this long is forgotten
    "RATE_LIMITS_ENABLED": True,
    "SESSION_CREATE_LIMIT": "600 per minute",  # per client address: a class shares one
    "STEP_LIMIT": "25 per second",  # per session, all step endpoints together
    "ANALYSIS_LIMIT": "120 per minute",  # elbow and restarts, per client address
    "TRUSTED_PROXIES": 0,  # proxies in front whose X-Forwarded-For is believed
    "FRAME_ANCESTORS": "*",  # origins that may frame the stepper
    "MAX_SPEED": 12,  # steps a second a Run may go at
    "DATASET_CACHE_BYTES": datasets.DEFAULT_CACHE_BYTES,  # generated data sets kept built
    "CACHE_DIR": None,  # where prepared MNIST is kept; None: $XDG_CACHE_HOME/kmeans-stepper
}


def create_app(test_config=None):
    """Build the app: defaults, then ``KMEANS_*`` environment variables, then ``test_config``."""
    app = Flask(__name__, static_folder=os.path.join(os.path.dirname(__file__), "..", "static"),
                template_folder=os.path.join(os.path.dirname(__file__), "..", "templates"))
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("KMEANS")
    if test_config is not None:
        app.config.from_mapping(test_config)

    datasets.configure(cache_bytes=app.config["DATASET_CACHE_BYTES"],
                       cache_dir=app.config["CACHE_DIR"])

    from app.web import errors, health
    from app.web.json_provider import OrjsonProvider
    from app.stores.memory import MemoryStore

    app.json = OrjsonProvider(app)

    # REDIS_URL is the name hosting platforms and compose files use, hence no prefix.
    app.config.setdefault("REDIS_URL", os.environ.get("REDIS_URL") or None)
    if app.config["REDIS_URL"]:
        from app.stores.redis_store import RedisStore

        app.extensions["session_store"] = RedisStore.from_url(
            app.config["REDIS_URL"],
            idle_seconds=app.config["SESSION_IDLE_SECONDS"],
            step_seconds=app.config["MAX_COMPUTE_SECONDS"],
        )
    else:
        app.extensions["session_store"] = MemoryStore(
            max_sessions=app.config["MAX_SESSIONS"],
            idle_seconds=app.config["SESSION_IDLE_SECONDS"],
        )
    errors.register(app)
    app.register_blueprint(health.bp)

    from app.web import analysis, api, commands, embed, pages, vendor

    app.register_blueprint(api.bp)
    app.register_blueprint(analysis.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(embed.bp)
    app.register_blueprint(vendor.bp)
    app.register_blueprint(commands.bp)

    from app.web import security

    security.init_app(app)
    return app
