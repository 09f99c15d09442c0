"""gunicorn's settings, from the environment; read by ``gunicorn "app:create_app()"``.

k-means steps are numpy work that releases the GIL only in part, so processes
(``WEB_CONCURRENCY``) carry the load and a few threads in each cover the time a
request waits on Redis. Sessions must be in Redis
(``REDIS_URL``) as soon as there is more than one worker: each worker has its
own memory, so without it there is one worker.
"""

import os


def _workers():
    asked = os.environ.get("WEB_CONCURRENCY")
    if os.environ.get("REDIS_URL"):
        return int(asked or 2)
    if asked and int(asked) > 1:
        raise SystemExit(f"WEB_CONCURRENCY={asked} needs REDIS_URL: a session kept in one "
                         "worker's memory is unknown to the others")
    return 1


bind = f"0.0.0.0:{int(os.environ.get('PORT', 8000))}"
workers = _workers()
threads = int(os.environ.get("GUNICORN_THREADS", 4))
worker_class = "gthread"
# Every worker builds its own app after the fork: no Redis connection is shared.
preload_app = False
# Container file systems can stall the workers' heartbeat files; memory cannot.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# No control socket (gunicornc): the container engine or service manager starts, stops
# and scales the server. Its default place, $HOME/.gunicorn, is missing for the image's
# user, read-only in a --read-only container, and one socket for all of a user's servers.
control_socket_disable = True
# Containers log to standard output.
accesslog = "-"
errorlog = "-"
