"""K-Means Stepper: Lloyd's algorithm, one step at a time, in the browser."""

import os
from urllib.parse import urlsplit

from app import settings  # first: it sets OMP_WAIT_POLICY before scikit-learn loads

from flask import Flask  # noqa: E402

from app.core import datasets  # noqa: E402  (after settings: it imports scikit-learn)


def create_app(test_config=None):
    """Build the app: the settings from the environment (``app.settings``), then
    ``test_config``. With ``REDIS_URL``, Redis must answer now: ``StartError`` if not."""
    app = Flask(__name__, static_folder=os.path.join(os.path.dirname(__file__), "..", "static"),
                template_folder=os.path.join(os.path.dirname(__file__), "..", "templates"))
    app.config.from_mapping(settings.read())
    for name in settings.unknown():
        app.logger.warning("%s is no setting of K-Means Stepper and does nothing "
                           "(docs/settings.md)", name)
    if test_config is not None:
        app.config.from_mapping(test_config)

    library = app.extensions["datasets"] = datasets.Library(
        cache_bytes=app.config["DATASET_CACHE_BYTES"] or datasets.DEFAULT_CACHE_BYTES,
        cache_dir=app.config["CACHE_DIR"])
    # MNIST is prepared as the app starts, in a thread: here rather than in gunicorn's
    # when_ready, so that `flask run` does it too, and so that the process answering
    # "not ready yet" is the one that knows how far it has got. Tests ask for it.
    if app.config.get("PREPARE_AT_START", not app.config["TESTING"]):
        library.prepare_at_start()

    from app.core.analysis import Analyses
    from app.services.sessions import PrecomputedSteps
    from app.web import errors, health, presentation, query
    from app.web.json_provider import OrjsonProvider

    app.json = OrjsonProvider(app)
    app.extensions["presentation_cache"] = presentation.Cache()
    app.extensions["query_cache"] = query.Cache()
    app.extensions["session_store"] = _session_store(app, library)
    app.extensions["precomputed_steps"] = PrecomputedSteps()
    app.extensions["analyses"] = Analyses()
    errors.register(app)
    app.register_blueprint(health.bp)

    from app.web import analysis, api, commands, embed, pages, schemas, vendor

    app.extensions["schemas"] = schemas.requests(app.config)

    app.register_blueprint(api.bp)
    app.register_blueprint(analysis.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(embed.bp)
    app.register_blueprint(vendor.bp)
    app.register_blueprint(commands.bp)

    from app.web import security

    security.init_app(app)

    from app.web import live

    live.init_app(app)
    if app.config["TESTING"]:
        from app.web.operations import check_answers

        check_answers(app)  # every answer against the model its operation declares
    return app


def _session_store(app, library):
    """In memory; or, with ``REDIS_URL``, in a Redis that answers now and keeps the
    sessions through its restarts (said in the log, and refused if required)."""
    config = app.config
    if not config["REDIS_URL"]:
        from app.stores.memory import MemoryStore

        return MemoryStore(max_sessions=config["MAX_SESSIONS"],
                           idle_seconds=config["SESSION_IDLE_SECONDS"])
    from app.stores.base import StoreUnavailable
    from app.stores.redis_live import session_class_key
    from app.stores.redis_store import RedisStore

    where = f"REDIS_URL={_without_password(config['REDIS_URL'])}"
    store = RedisStore.from_url(config["REDIS_URL"], idle_seconds=config["SESSION_IDLE_SECONDS"],
                                step_seconds=config["MAX_COMPUTE_SECONDS"],
                                timeout=config["REDIS_TIMEOUT_SECONDS"], datasets=library,
                                # a step reads the class following its session in its round trip
                                class_key=session_class_key)
    try:
        durability = store.durability()
    except StoreUnavailable as error:
        raise settings.StartError(f"{where}: Redis cannot be reached ({error}); start it, fix "
                                  "REDIS_URL, or unset it to keep sessions in memory") from None
    if durability.durable:
        app.logger.info("%s: %s", where, durability.detail)
        return store
    if config["REQUIRE_DURABLE_REDIS"]:
        raise settings.StartError(f"{where}: {durability.detail}; KMEANS_REQUIRE_DURABLE_REDIS "
                                  "is true, so the app does not start")
    app.logger.warning("%s: %s", where, durability.detail)
    return store


def _without_password(url):
    """The URL as a log may show it."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()
