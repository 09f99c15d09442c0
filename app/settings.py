"""Every setting, declared once: its environment variable, type, default and meaning.

``create_app`` and ``gunicorn.conf.py`` read them from here, strictly: a value
that does not read as its type stops the start with a message naming the
variable. An empty value counts as unset. The documentation's settings page
(docs/settings.md) is made from this list when the site is built;
``python3 app/settings.py`` prints the same table.

Standard library only: gunicorn.conf.py loads this file by its path, so that
gunicorn's master never imports the app and a reload runs the new code.
"""

import math
import os
import re
from dataclasses import dataclass

PREFIX = "KMEANS_"
TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no")
# flask-limiter's notation: "25 per second", "600/minute", "10 per 2 minutes"; ";" between several.
RATE = re.compile(r"\s*\d+\s*(/|per)\s*(\d+\s*)?(second|minute|hour|day|month|year)s?\s*", re.I)


class StartError(RuntimeError):
    """The app cannot start as set up; the message says why and what to change."""


class SettingError(StartError, ValueError):
    """A setting whose value cannot be read; the message names the variable."""


def boolean(text):
    """true/false, 1/0, yes/no, in any case; nothing else."""
    word = text.strip().lower()
    if word in TRUE or word in FALSE:
        return word in TRUE
    raise ValueError(f"is not a boolean: write one of {', '.join(TRUE + FALSE)}")


def count(text):
    """A whole number, 0 or more."""
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError("is not a whole number") from None
    if value < 0:
        raise ValueError("should be >= 0")
    return value


def seconds(text):
    """A positive, finite number of seconds."""
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError("is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError("should be a number of seconds > 0")
    return value


def rate(text):
    """A rate limit in flask-limiter's notation, e.g. ``25 per second``."""
    if not all(RATE.fullmatch(part) for part in text.split(";")):
        raise ValueError('is not a rate limit: write e.g. "25 per second" or "600/minute"')
    return text.strip()


def text(value):
    return value.strip()


@dataclass(frozen=True)
class Setting:
    name: str  # the environment variable
    kind: object  # reads the variable's text into its value, or raises ValueError
    default: object
    help: str
    shown: str = None  # the default as the settings page says it, when not the value itself

    @property
    def key(self):
        """Its name in ``app.config``: without the prefix."""
        return self.name.removeprefix(PREFIX)

    def read(self, environ):
        """The value in ``environ``, or the default when unset or empty."""
        raw = environ.get(self.name, "")
        if not raw.strip():
            return self.default
        try:
            return self.kind(raw)
        except ValueError as error:
            raise SettingError(f"{self.name}={raw!r} {error} ({self.help})") from None


SETTINGS = (
    # --- gunicorn (gunicorn.conf.py) ---
    Setting("HOST", text, "0.0.0.0",
            "the address gunicorn listens on: `0.0.0.0` every interface, `127.0.0.1` this "
            "machine only (behind a proxy on it), `::` every interface, IPv6 too"),
    Setting("PORT", count, 8000, "the port gunicorn listens on"),
    Setting("WEB_CONCURRENCY", count, None,
            "gunicorn worker processes; more than 1 needs `REDIS_URL` (gunicorn refuses to "
            "start otherwise)", shown="1 without `REDIS_URL`, 2 with it"),
    Setting("GUNICORN_THREADS", count, 4, "threads per worker"),
    Setting("GUNICORN_WORKER_CLASS", text, "gthread",
            "gunicorn's worker class; `gevent` for a live class"),
    Setting("GUNICORN_WORKER_CONNECTIONS", count, 1000,
            "open connections (live streams) per gevent worker"),
    # --- sessions ---
    Setting("REDIS_URL", text, None,
            "Redis for the sessions and the rate limits, e.g. `redis://127.0.0.1:6379/0`; "
            "the app connects at start and stops if it cannot",
            shown="unset: sessions in memory"),
    Setting("KMEANS_REQUIRE_DURABLE_REDIS", boolean, False,
            "refuse to start when Redis would lose the sessions on a restart (append-only "
            "off, or its persistence settings unreadable); false only warns, in the log and "
            "in `/readyz`"),
    Setting("KMEANS_REDIS_TIMEOUT_SECONDS", seconds, 0.5,
            "the longest wait for Redis to connect or answer; past it a request answers 503 "
            "and `/readyz` not ready"),
    Setting("KMEANS_SESSION_IDLE_SECONDS", count, 6 * 3600,
            "a session unused this long is forgotten"),
    Setting("KMEANS_MAX_SESSIONS", count, 10000,
            "live sessions in memory (without `REDIS_URL`; in Redis, its `maxmemory` bounds "
            "them)"),
    # --- data sets ---
    Setting("KMEANS_CACHE_DIR", text, None, "where the prepared MNIST and elbows are kept",
            shown="`$XDG_CACHE_HOME/kmeans-stepper`, else `~/.cache/kmeans-stepper`; "
                  "`/var/cache/kmeans-stepper` in the image"),
    Setting("KMEANS_DATASET_CACHE_BYTES", count, None,
            "bytes of generated data sets each worker keeps built",
            shown="`datasets.DEFAULT_CACHE_BYTES`, 268435456"),
    # --- sizes ---
    Setting("KMEANS_MAX_CONTENT_LENGTH", count, 8 * 1024 * 1024,
            "bytes in one request body (413 beyond); the most custom points, written "
            "in full (17 digits), take about 4 MB"),
    Setting("KMEANS_MAX_URL_LENGTH", count, 8192,
            "characters of a URL's path and query string (414 beyond; an embed's custom "
            "points travel in its query)"),
    Setting("KMEANS_MAX_POINTS", count, 100000, "points in a data set"),
    Setting("KMEANS_MAX_K", count, 50, "clusters"),
    Setting("KMEANS_DEFAULT_MAX_ITER", count, 300, "updates one Run takes unless told"),
    Setting("KMEANS_MAX_ITER", count, 1000, "the most `max_iter` a client may ask for"),
    Setting("KMEANS_MAX_SPEED", count, 12,
            "steps a second Run may go at, on the page and in the embed"),
    Setting("KMEANS_MAX_COMPUTE_SECONDS", seconds, 10.0,
            "time one request may compute; with Redis, a step racing others on its session "
            "retries for this + 5 s, then answers 503"),
    # --- limits ---
    Setting("KMEANS_RATE_LIMITS_ENABLED", boolean, True, "switch the rate limits off"),
    Setting("KMEANS_SESSION_CREATE_LIMIT", rate, "1200 per minute",
            "new sessions per client address (a class behind one NAT address shares it: "
            "sized for 60 students trying seeds); 429 beyond"),
    Setting("KMEANS_STEP_LIMIT", rate, "25 per second",
            "steps per session, all step endpoints together; 429 beyond"),
    Setting("KMEANS_ANALYSIS_LIMIT", rate, "20 per minute",
            "elbow and restarts requests per session; 429 beyond"),
    # --- live classes (app/web/live.py) ---
    Setting("KMEANS_MAX_CLASSES", count, 100, "live classes on the server; 503 beyond"),
    Setting("KMEANS_MAX_FOLLOWERS", count, 500, "students following one class; 503 beyond"),
    Setting("KMEANS_CLASS_IDLE_SECONDS", seconds, 7200.0,
            "a class its teacher leaves this long is forgotten, with its code"),
    Setting("KMEANS_CLASS_ENDED_SECONDS", seconds, 3600.0,
            "an ended class is told as ended this long"),
    Setting("KMEANS_CLASS_BACKLOG", count, 100, "events a dropped stream can resume from"),
    Setting("KMEANS_CLASS_HEARTBEAT_SECONDS", seconds, 15.0,
            "a comment on an idle stream, and the followers recounted"),
    Setting("KMEANS_CLASS_CREATE_LIMIT", rate, "20 per minute",
            "new classes per client address; 429 beyond"),
    Setting("KMEANS_CLASS_CODE_MISS_LIMIT", rate, "40 per 10 minutes",
            "unknown join codes per client address, at every endpoint that takes a code "
            "(a room shares one: room to spare for a quarter of a class of 60 mistyping the "
            "code twice); past it the address gets 429 at all of them, real codes too"),
    Setting("KMEANS_TRUSTED_PROXIES", count, 0,
            "proxies in front whose `X-Forwarded-For` is believed (1 behind compose's nginx)"),
    Setting("KMEANS_FRAME_ANCESTORS", text, "*", "origins allowed to frame the stepper"),
    # --- threads ---
    Setting("OMP_WAIT_POLICY", text, "passive",
            "how scikit-learn's OpenMP threads wait between kernel calls: asleep, since "
            "spinning threads took the cores a busy machine needed (a step took ten times "
            "longer)", shown="`passive` (set by the app unless already set)"),
)
BY_NAME = {setting.name: setting for setting in SETTINGS}

# scikit-learn's k-means kernel runs on OpenMP threads, whose idle threads spin by
# default: on a busy machine a spinning thread takes the core that the thread it
# waits for needs, and a step took ten times longer. Waiting asleep costs
# microseconds. libgomp reads this once it loads, so before scikit-learn is imported:
# here, which the app and gunicorn's master (which imports scikit-learn) read first.
os.environ.setdefault("OMP_WAIT_POLICY", BY_NAME["OMP_WAIT_POLICY"].default)


def read(environ=os.environ, names=None):
    """{config key: value} for the settings ``names`` (all by default), read strictly."""
    chosen = SETTINGS if names is None else [BY_NAME[name] for name in names]
    return {setting.key: setting.read(environ) for setting in chosen}


def unknown(environ=os.environ):
    """``KMEANS_*`` variables that are no setting (a misspelt name does nothing)."""
    return sorted(name for name in environ if name.startswith(PREFIX) and name not in BY_NAME)


def table():
    """The settings page's table, in Markdown."""
    rows = ["| variable | default | what it sets |", "| --- | --- | --- |"]
    for setting in SETTINGS:
        default = setting.shown or f"`{setting.default}`"
        if setting.kind is boolean and setting.shown is None:
            default = f"`{str(setting.default).lower()}`"
        rows.append(f"| `{setting.name}` | {default} | {setting.help} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
