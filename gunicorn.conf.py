"""gunicorn's settings, from the environment; read by ``gunicorn "app:create_app()"``.

k-means steps are numpy work that releases the GIL only in part, so processes
(``WEB_CONCURRENCY``) carry the load and a few threads in each cover the time a
request waits on Redis. Sessions must be in Redis
(``REDIS_URL``) as soon as there is more than one worker: each worker has its
own memory, so without it there is one worker.

A reload (``kill -HUP`` of the master, ``systemctl reload``) runs the new code
without a pause: the master has the libraries the app imports already imported
(not the app itself), so a new worker starts in a fraction of a second, and warms
up before it takes a request; and the old workers go on serving until every new
one is ready (``on_reload``).
"""

import ast
import importlib
import importlib.util
import os
import pathlib
import select
import signal
import threading

HERE = pathlib.Path(__file__).resolve().parent


def _load_settings():
    """``app/settings.py`` by its path: importing the package ``app`` here would
    keep its old code in the master, and so in every worker after a reload."""
    spec = importlib.util.spec_from_file_location("kmeans_settings", HERE / "app" / "settings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read(settings):
    try:
        return settings.read(names=("HOST", "PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS",
                                    "GUNICORN_WORKER_CLASS", "GUNICORN_WORKER_CONNECTIONS",
                                    "REDIS_URL"))
    except settings.SettingError as error:
        raise SystemExit(str(error)) from None


def _workers(asked, redis_url):
    if redis_url:
        return asked or 2
    if asked and asked > 1:
        raise SystemExit(f"WEB_CONCURRENCY={asked} needs REDIS_URL: a session kept in one "
                         "worker's memory is unknown to the others")
    return 1


def _libraries(package=HERE / "app"):
    """Every module outside the app that the app imports, found in its source."""
    names = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
    return sorted(name for name in names if name.split(".")[0] != "app")


def on_starting(arbiter):
    """Import in the master what takes a worker seconds to import (numpy, scikit-learn...):
    every worker forked from it, after a reload too, has them at once. An upgrade of
    these libraries therefore takes a restart, not a reload."""
    for name in _libraries():
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # the worker that needs it says so


_settings = _read(_load_settings())
host = _settings["HOST"]
bind = f"[{host}]:{_settings['PORT']}" if ":" in host else f"{host}:{_settings['PORT']}"
workers = _workers(_settings["WEB_CONCURRENCY"], _settings["REDIS_URL"])
threads = _settings["GUNICORN_THREADS"]
worker_class = _settings["GUNICORN_WORKER_CLASS"]
# A live class's followers each hold a stream open for the lesson (app/web/live.py):
# gevent holds one in a greenlet, up to this many per worker. docs/live.md.
worker_connections = _settings["GUNICORN_WORKER_CONNECTIONS"]
# Every worker builds its own app after the fork: no Redis connection is shared, and
# a reload runs new code. The libraries are imported in the master (see above).
preload_app = False
# Container file systems can stall the workers' heartbeat files; memory cannot.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# No control socket (gunicornc): the container engine or service manager starts, stops
# and scales the server. Its default place, $HOME/.gunicorn, is missing for the image's
# user, read-only in a --read-only container, and one socket for all of a user's servers.
control_socket_disable = True
# Containers (and systemd's journal) take the logs from standard output.
accesslog = "-"
errorlog = "-"
# A redeploy lets requests under way finish: a Run computes for at most this.
graceful_timeout = 30

# --- A reload without a pause --------------------------------------------------------


def _warm_up(worker):
    """A session created, stepped and deleted through the app before the worker takes a
    request: its first student then waits for nothing a worker does once (the default
    data set built, the connections to Redis opened, scikit-learn's first call)."""
    try:
        client = worker.wsgi.test_client()
        client.environ_base["REMOTE_ADDR"] = "warm-up"  # no student's rate limit counts it
        created = client.post("/api/sessions", json={"dataset": "blobs", "k": 3})
        if created.status_code == 201:
            session = f"/api/sessions/{created.get_json()['id']}"
            client.post(f"{session}/step")
            client.post(f"{session}/step")
            client.delete(session)
    except Exception as error:  # a warm-up never keeps a worker from serving
        worker.log.warning("warm-up failed: %r", error)


# This file is read again on every reload: what a handover needs is kept on the arbiter.


def on_reload(arbiter):
    """Keep the old workers until the new ones are ready, then stop them (from a thread:
    gunicorn's master waits, right after this, for the old workers to be gone)."""
    arbiter.handover = getattr(arbiter, "handover", 0) + 1
    arbiter.num_workers = arbiter.cfg.workers + len(arbiter.WORKERS)  # gunicorn stops none
    read_fd, arbiter.handover_fd = os.pipe()
    threading.Thread(target=_hand_over, daemon=True, name="handover",
                     args=(arbiter, read_fd, arbiter.handover_fd, arbiter.handover,
                           arbiter.worker_age)).start()


def _hand_over(arbiter, read_fd, write_fd, handover, last_old_age):
    """Once the new workers are ready (or a worker's timeout has passed), stop the old
    ones: each finishes the requests it has, as on any graceful stop."""
    expected, left = arbiter.cfg.workers, arbiter.cfg.timeout
    while expected > 0 and left > 0:
        if select.select([read_fd], [], [], 1.0)[0]:
            expected -= len(os.read(read_fd, expected))
        else:
            left -= 1
    os.close(read_fd)
    if handover == arbiter.handover:  # no later reload took over meanwhile
        arbiter.handover_fd = None
        arbiter.num_workers = arbiter.cfg.workers
        for pid, worker in list(arbiter.WORKERS.items()):
            if worker.age <= last_old_age:
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass  # gone already
        arbiter.wakeup()
    os.close(write_fd)


def pre_fork(arbiter, worker):
    """A worker forked during a handover tells it when it is ready."""
    worker.handover_fd = getattr(arbiter, "handover_fd", None)


def post_worker_init(worker):
    """Warm up, then tell the handover (if any) that this worker is ready."""
    _warm_up(worker)
    if worker.handover_fd is not None:
        try:
            os.write(worker.handover_fd, b".")
        except OSError:
            pass  # the handover gave up waiting: nothing to tell


# gunicorn answers a request line over its limit (at most 8190 bytes) with an HTML 414;
# with no limit here, the app answers URLs over its MAX_URL_LENGTH in JSON.
limit_request_line = 0
