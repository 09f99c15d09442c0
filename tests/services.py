"""Real services for the deployment tests: redis-server and gunicorn on free loopback ports.

Each runs in a temporary directory, is waited for in a bounded loop, and is
stopped by whoever started it (the ``with`` blocks and fixtures of the tests).
"""

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
START_SECONDS = 60  # generous: two cores, and each gunicorn worker imports numpy and sklearn


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(ready, what, seconds=START_SECONDS, alive=None):
    """Poll ``ready()`` until it is true; fail after ``seconds`` or if ``alive()`` turns false."""
    deadline = time.monotonic() + seconds
    while not ready():
        if alive is not None and not alive():
            raise RuntimeError(f"{what} exited before it was ready")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} was not ready after {seconds} s")
        time.sleep(0.05)


def stop(process, seconds=20):
    """SIGTERM, then SIGKILL if it will not go; to the whole group it leads."""
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(seconds)


class RedisServer:
    """A redis-server on loopback with an append-only file, so a restart keeps its data
    (or as ``config``, a configuration file, and ``options`` say)."""

    DURABLE = ("--appendonly", "yes", "--save", "")

    def __init__(self, directory, options=DURABLE, config=None):
        self.directory = Path(directory)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.options, self.config = tuple(options), config
        self.process = None

    def start(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        config = [] if self.config is None else [str(self.config)]
        self.process = subprocess.Popen(
            ["redis-server", *config, "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.directory), *self.options,
             "--logfile", str(self.directory / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_until(self.answers, "redis-server", alive=lambda: self.process.poll() is None)
        return self

    def stop(self):
        stop(self.process)

    def freeze(self):
        """Hang it (SIGSTOP): connections open, nothing answers."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self):
        os.kill(self.process.pid, signal.SIGCONT)

    def answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


class Gunicorn:
    """``gunicorn --config gunicorn.conf.py "app:create_app()"``, bound to loopback."""

    def __init__(self, log_path, env, port=None, command=None, cwd=REPO, user=None, group=None):
        self.port = port or free_port()
        self.log_path = Path(log_path)
        self.env = env
        self.command = command or [sys.executable, "-m", "gunicorn", "--config",
                                   "gunicorn.conf.py", "--bind", f"127.0.0.1:{self.port}",
                                   "app:create_app()"]
        self.cwd, self.user, self.group = cwd, user, group
        self.process = None

    def start(self, ready_path="/readyz", seconds=START_SECONDS):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True, user=self.user, group=self.group,
                # Dropping to a user drops root's supplementary groups too.
                extra_groups=None if self.user is None else [])
        wait_until(lambda: self.answers(ready_path), f"gunicorn on port {self.port}", seconds,
                   alive=lambda: self.process.poll() is None)
        return self

    def stop(self):
        stop(self.process)

    def fails_to_start(self, seconds=START_SECONDS):
        """Run it expecting it to stop by itself: its exit status (it is stopped if not)."""
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.command, cwd=self.cwd, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        try:
            return self.process.wait(seconds)
        except subprocess.TimeoutExpired:
            self.stop()
            return None

    def reload(self):
        """What a redeploy does: HUP to the master."""
        os.kill(self.process.pid, signal.SIGHUP)

    def workers(self):
        """The pids of its workers, as the log says them booted and not yet exited."""
        booted = re.findall(r"Booting worker with pid: (\d+)", self.log())
        exited = set(re.findall(r"Worker exiting \(pid: (\d+)\)", self.log()))
        return [int(pid) for pid in booted if pid not in exited]

    def answers(self, path):
        try:
            return request(self.port, "GET", path, timeout=2)[0] == 200
        except OSError:
            return False

    def log(self):
        return self.log_path.read_text(errors="replace")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


def request(port, method, path, body=None, timeout=30, source=None, headers=None):
    """One HTTP request to 127.0.0.1:``port``: (status, JSON answer or None).

    ``source``: the loopback address it comes from (127.0.0.2, ...), one per student."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=timeout, source_address=source and (source, 0))
    try:
        payload = None if body is None else json.dumps(body)
        headers = {**({} if body is None else {"Content-Type": "application/json"}),
                   **(headers or {})}
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        data = response.read()
        is_json = response.getheader("Content-Type", "").startswith("application/json")
        return response.status, json.loads(data) if is_json and data else None
    finally:
        connection.close()


def server_env(redis_url=None, **extra):
    """The environment of a test server: this interpreter's packages, generous rate limits."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("REDIS_URL", "PORT", "WEB_CONCURRENCY")}
    env.update(KMEANS_STEP_LIMIT="1000 per second", KMEANS_SESSION_CREATE_LIMIT="10000 per minute",
               GUNICORN_THREADS="4")
    if redis_url:
        env.update(REDIS_URL=redis_url, WEB_CONCURRENCY="2")
    env.update(extra)
    return env
