"""A class of students stepping at once, against gunicorn with sessions in Redis.

Starts a redis-server and gunicorn (``--workers`` of ``--threads`` threads) on
free loopback ports, then each of ``--students`` students, on a thread of its
own with a kept-alive connection, creates a session on the default data set and
steps through init and ``--iterations`` iterations (an assign and an update
each) as fast as the server answers. Prints p50 and p95 step latency,
throughput and errors (which must be 0).

Then, on the same server, one client alternates a step with a no-op JSON
request (``/healthz``), side by side so that machine noise hits both alike, and
prints the ratio of their median latencies (target at most 2: the k-means work
and the state's load and save cost no more than the framework itself).
Loopback only; bounded in requests, and in time by ``--max-seconds``.

    python3 bench/bench_load.py [--students 100] [--iterations 20] [--workers 2]
"""

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.services import Gunicorn, RedisServer, server_env  # noqa: E402

from record import record  # noqa: E402

SESSION = {"dataset": "blobs", "k": 4}  # the page's default data set


class Student:
    """One browser: a kept-alive connection, and the latency of every step it takes."""

    def __init__(self, port):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.latencies = []
        self.errors = []

    def call(self, method, path, body=None):
        payload = None if body is None else json.dumps(body)
        headers = {"Content-Type": "application/json"} if body is not None else {}
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=payload, headers=headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.errors.append(f"{method} {path}: {error!r}")
            self.connection.close()
            return None, time.perf_counter() - started
        elapsed = time.perf_counter() - started
        if response.status >= 400:
            self.errors.append(f"{method} {path}: {response.status} {data[:200]!r}")
            return None, elapsed
        return json.loads(data), elapsed

    def attend(self, iterations, deadline):
        created, _ = self.call("POST", "/api/sessions", SESSION)
        if created is None:
            return
        base = f"/api/sessions/{created['id']}"
        for name in ["init"] + ["assign", "update"] * iterations:
            if time.monotonic() > deadline:
                self.errors.append("out of time")
                return
            answer, elapsed = self.call("POST", f"{base}/{name}", {})
            self.latencies.append(elapsed)
            if answer is None:
                return


def run_class(port, students, iterations, max_seconds):
    """Every student at once; their step latencies, errors and the wall time taken."""
    class_ = [Student(port) for _ in range(students)]
    deadline = time.monotonic() + max_seconds
    start = threading.Barrier(students + 1)

    def attend(student):
        start.wait()
        student.attend(iterations, deadline)

    threads = [threading.Thread(target=attend, args=(student,)) for student in class_]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    latencies = [value for student in class_ for value in student.latencies]
    errors = [error for student in class_ for error in student.errors]
    return latencies, errors, wall


def side_by_side(port, pairs, iterations):
    """Median latency of a step and of a no-op JSON request, alternating on one connection."""
    client = Student(port)
    steps, noops = [], []
    while len(steps) < pairs:
        created, _ = client.call("POST", "/api/sessions", SESSION)
        base = f"/api/sessions/{created['id']}"
        for name in ["init"] + ["assign", "update"] * iterations:
            steps.append(client.call("POST", f"{base}/{name}", {})[1])
            noops.append(client.call("GET", "/healthz")[1])
    return statistics.median(steps), statistics.median(noops), client.errors


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--pairs", type=int, default=400, help="steps in the side-by-side probe")
    parser.add_argument("--max-seconds", type=float, default=300)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-load-") as directory:
        with RedisServer(Path(directory) / "redis") as redis_server:
            # The rate limits stay on, in Redis, but raised: students here click without pause.
            env = server_env(redis_server.url, WEB_CONCURRENCY=str(options.workers),
                             GUNICORN_THREADS=str(options.threads))
            with Gunicorn(Path(directory) / "gunicorn.log", env) as server:
                run_class(server.port, 4, 2, options.max_seconds)  # every worker warmed up
                latencies, errors, wall = run_class(
                    server.port, options.students, options.iterations, options.max_seconds)
                step, noop, probe_errors = side_by_side(server.port, options.pairs,
                                                        options.iterations)
    report(options, latencies, errors + probe_errors, wall, step, noop)
    return 1 if errors or probe_errors else 0


def report(options, latencies, errors, wall, step, noop):
    print(f"{options.students} students, each init + {options.iterations} iterations on "
          f"{SESSION['dataset']} (k = {SESSION['k']}); gunicorn {options.workers} workers x "
          f"{options.threads} threads, sessions in Redis, on loopback:")
    print(f"  steps answered:  {len(latencies)} in {wall:.2f} s")
    print(f"  step latency:    p50 {percentile(latencies, 0.50) * 1000:7.1f} ms"
          f"   p95 {percentile(latencies, 0.95) * 1000:7.1f} ms")
    print(f"  throughput:      {len(latencies) / wall:7.0f} steps/s")
    print(f"  errors:          {len(errors)}")
    for error in errors[:5]:
        print(f"    {error}")
    print(f"side by side, one client, medians: step {step * 1000:.2f} ms, "
          f"no-op JSON {noop * 1000:.2f} ms")
    print(f"  step / no-op:    {step / noop:.2f}  (target <= 2)")
    p50, p95 = percentile(latencies, 0.50) * 1000, percentile(latencies, 0.95) * 1000
    record("load", title="A class stepping at once", command="python3 bench/bench_load.py",
           what=f"{options.students} students, each stepping through init and "
                f"{options.iterations} iterations on {SESSION['dataset']} at once against "
                f"gunicorn ({options.workers} workers x {options.threads} threads) with Redis, on "
                "loopback; then a step against a no-op JSON request (/healthz), alternately "
                "on one connection.",
           target="step / no-op at most 2, no errors",
           met=step / noop <= 2 and not errors,
           summary=f"step / no-op {step / noop:.2f} (step {step * 1000:.2f} ms, no-op "
                   f"{noop * 1000:.2f} ms); {len(errors)} errors, "
                   f"{len(latencies) / wall:.0f} steps/s, p50 {p50:.0f} ms, p95 {p95:.0f} ms",
           figures={"ratio": round(step / noop, 3), "step_ms": round(step * 1000, 3),
                    "noop_ms": round(noop * 1000, 3), "errors": len(errors),
                    "steps_per_second": round(len(latencies) / wall), "p50_ms": round(p50, 1),
                    "p95_ms": round(p95, 1), "students": options.students})


if __name__ == "__main__":
    sys.exit(main())
