"""The longest wait of a class's requests while the server is redeployed (HUP).

30 students step their sessions, with pauses, against gunicorn (4 workers, sessions in
a durable redis-server, all on loopback) while the master is sent HUP a few times.
Two servers side by side in one run: gunicorn.conf.py as shipped (the old workers
serve until the new ones are ready; the master has the libraries imported), and
the same settings with gunicorn's own reload (the old workers stop at once, the
new ones import numpy and scikit-learn before they answer). For each, the longest
wait of a request in steady state and through the reloads, and the failures.

    python3 bench/bench_reload.py [--students 30] [--reloads 3] [--workers 4]
"""

import argparse
import http.client
import json
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from services import (REPO, Gunicorn, RedisServer, free_port, request,  # noqa: E402
                      server_env, wait_until)

from record import record  # noqa: E402

TARGET_SECONDS = 1.0  # the longest a request may wait through a reload

PAUSE_SECONDS = (0.3, 1.5)  # a student's think time between two clicks
STEPS = ("step", "step", "step", "back")


class Class:
    """Students stepping their own sessions until told to stop; every wait recorded."""

    def __init__(self, port, students):
        self.port = port
        self.ids = [request(port, "POST", "/api/sessions",
                            {"dataset": "blobs", "k": 5, "seed": i})[1]["id"]
                    for i in range(students)]
        self.waits = []  # (when it was sent, how long it waited, status)
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._student, args=(session_id, i))
                        for i, session_id in enumerate(self.ids)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stopping.set()
        for thread in self.threads:
            thread.join()

    def _student(self, session_id, seed):
        rng = random.Random(seed)
        version = 1
        while not self.stopping.is_set():
            name = rng.choice(STEPS)
            sent = time.monotonic()
            status, etag = self._step(session_id, name, version)
            self.waits.append((sent, time.monotonic() - sent, status))
            if etag:
                version = int(etag.strip('"'))
            time.sleep(rng.uniform(*PAUSE_SECONDS))

    def _step(self, session_id, name, version):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request("POST", f"/api/sessions/{session_id}/{name}", body="{}",
                               headers={"Content-Type": "application/json",
                                        "If-Match": f'"{version}"'})
            response = connection.getresponse()
            answer = json.loads(response.read())
            etag = response.getheader("ETag") if response.status in (200, 412) else None
            if response.status == 409:  # e.g. back at the start: still the same version
                etag = None
            return response.status, etag
        except OSError:
            return 0, None
        finally:
            connection.close()

    def between(self, start, end):
        return [(wait, status) for sent, wait, status in self.waits if start <= sent < end]


def measure(name, config, redis_url, students, reloads, workers, logs):
    env = server_env(redis_url, WEB_CONCURRENCY=str(workers))
    port = free_port()
    server = Gunicorn(logs / f"{name}.log", env, port=port, command=[
        sys.executable, "-m", "gunicorn", "--config", str(config), "--bind", f"127.0.0.1:{port}",
        "app:create_app()"])
    try:
        server.start(seconds=300)  # four workers importing scikit-learn on a busy machine
        wait_until(lambda: len(server.workers()) == workers, f"{workers} workers", seconds=120)
        windows = []  # (start, end) of the steady spell, then of each reload
        with Class(server.port, students) as school:
            time.sleep(3)  # every student under way
            start = time.monotonic()
            time.sleep(10)
            windows.append((start, time.monotonic()))
            for _ in range(reloads):
                old = set(server.workers())
                start = time.monotonic()
                server.reload()
                wait_until(lambda: len(server.workers()) == workers
                           and not old & set(server.workers()), "the new workers", seconds=180)
                time.sleep(3)
                windows.append((start, time.monotonic()))
        # Read once every student has stopped: a request still waiting when a window
        # closed (one a stopped worker dropped, say) counts, with its whole wait.
        steady = school.between(*windows[0])
        through = [answer for window in windows[1:] for answer in school.between(*window)]
    finally:
        server.stop()
    return steady, through


def row(label, answers):
    waits = [wait for wait, _ in answers]
    failed = sum(status not in (200, 409) for _, status in answers)
    return (f"{label:<40} {max(waits):>8.2f} s {sorted(waits)[int(len(waits) * 0.99)]:>8.2f} s "
            f"{len(answers):>9} {failed:>7}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--reloads", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        plain = scratch / "gunicorn-own-reload.conf.py"
        plain.write_text(
            "import runpy\n"
            f"_ours = runpy.run_path({str(REPO / 'gunicorn.conf.py')!r})\n"
            "bind, workers, threads, worker_class, accesslog, errorlog, worker_tmp_dir = (\n"
            "    _ours[key] for key in ('bind', 'workers', 'threads', 'worker_class',\n"
            "                           'accesslog', 'errorlog', 'worker_tmp_dir'))\n")
        results = []
        with RedisServer(scratch / "redis") as redis_server:
            for name, config in (("as shipped", REPO / "gunicorn.conf.py"),
                                 ("gunicorn's own reload", plain)):
                results.append((name, *measure(name, config, redis_server.url, args.students,
                                               args.reloads, args.workers, scratch)))
    print(f"{args.students} students stepping, pauses of {PAUSE_SECONDS[0]}-{PAUSE_SECONDS[1]} s,"
          f" gunicorn with {args.workers} workers on Redis, {args.reloads} HUP reloads each")
    print(f"{'':<40} {'longest':>10} {'99th pct':>10} {'requests':>9} {'failed':>7}")
    for name, steady, through in results:
        print(row(f"{name}: steady", steady))
        print(row(f"{name}: through reloads", through))
    ours, theirs = (max(wait for wait, _ in through) for _, _, through in results)
    print(f"longest wait through a reload: {ours:.2f} s as shipped, {theirs:.2f} s with "
          f"gunicorn's own reload ({theirs / ours:.1f}x)")
    (_, steady, shipped), _ = results
    failed = sum(status not in (200, 409) for _, status in shipped)
    record("reload", title="Redeploying during a class", command="python3 bench/bench_reload.py",
           what=f"{args.students} students stepping with pauses of {PAUSE_SECONDS[0]}-"
                f"{PAUSE_SECONDS[1]} s against gunicorn ({args.workers} workers) on Redis while "
                f"the master is sent HUP {args.reloads} times: the longest wait of a request "
                "through the reloads, as shipped (gunicorn.conf.py) against gunicorn's own reload.",
           target=f"at most {TARGET_SECONDS:g} s, no failed request",
           met=ours <= TARGET_SECONDS and not failed,
           summary=f"as shipped {ours:.2f} s, {failed} of {len(shipped)} failed; gunicorn's own "
                   f"reload {theirs:.2f} s",
           figures={"longest_wait_s": round(ours, 3),
                    "p99_wait_s": round(sorted(w for w, _ in shipped)[int(len(shipped) * 0.99)], 3),
                    "requests": len(shipped), "failed": failed,
                    "gunicorn_own_reload_longest_wait_s": round(theirs, 3),
                    "steady_longest_wait_s": round(max(w for w, _ in steady), 3)})


if __name__ == "__main__":
    main()
