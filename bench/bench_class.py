"""A live class: one teacher stepping a 5,000-point run, hundreds of students following.

Starts a redis-server and gunicorn with the production configuration
(gunicorn.conf.py, sessions and classes in Redis) on free loopback ports. The
teacher makes a run a class and steps it ``--rate`` times a second (a converged
run is reset and stepped again), each step timed from just before its request
is sent. ``--followers`` students hold the class's event stream open (one
asyncio connection each, HTTP/1.0 so the stream is the raw events) and note
when each event arrives. Prints, over every (event, follower) pair, p50, p95
and max of the time from the teacher's step request to the follower receiving
its event; the events each follower got against those sent; dropped streams;
and 5xx answers. Target: p95 <= 250 ms, nothing dropped, no 5xx.

    python3 bench/bench_class.py [--followers 300] [--steps 60] [--rate 2]
                                 [--worker-class gevent] [--threads 4]

Loopback only; bounded in steps and in time by ``--max-seconds``.
"""

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.services import Gunicorn, RedisServer, server_env, wait_until  # noqa: E402

from record import record  # noqa: E402

STARTUP_SECONDS = 300  # a shared, loaded machine can take minutes to start the workers
RUN = {"dataset": {"name": "blobs", "n_samples": 5000, "centers": 8}, "k": 8, "init": "random",
       "seed": 1}


def call(connection, method, path, body=None):
    payload = None if body is None else json.dumps(body)
    connection.request(method, path, body=payload,
                       headers={"Content-Type": "application/json"} if body is not None else {})
    response = connection.getresponse()
    data = response.read()
    return response.status, (json.loads(data) if data else None)


class Follower:
    """One student's stream: when each event arrived, and how it ended."""

    def __init__(self):
        self.arrived = {}  # event id -> time.perf_counter()
        self.first_id = None
        self.status = None
        self.ended = False  # got the class's "end" event
        self.error = None

    async def follow(self, port, code, connected):
        try:
            await self._follow(port, code, connected)
        finally:
            if self.first_id is None:
                connected()  # never will: counted as settled, and reported

    async def _follow(self, port, code, connected):
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 24)
            writer.write(f"GET /api/classes/{code}/events HTTP/1.0\r\nHost: 127.0.0.1\r\n"
                         "Accept: text/event-stream\r\n\r\n".encode())
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            self.status = int(head.split(b" ", 2)[1])
            if self.status != 200:
                self.error = f"status {self.status}: {(await reader.read(300))!r}"
                return
            while True:
                message = await reader.readuntil(b"\n\n")
                now = time.perf_counter()
                if not message.startswith(b"id: "):
                    continue  # retry: or a heartbeat
                first_line, kind_line = message.split(b"\n", 2)[:2]
                event_id = int(first_line[4:])
                if self.first_id is None:
                    self.first_id = event_id
                    connected()
                self.arrived[event_id] = now
                if kind_line == b"event: end":
                    self.ended = True
                    break
            writer.close()
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
            self.error = repr(error)


def teacher(port, code, token, session_id, steps, rate, sent, failures, start):
    """Step at ``rate`` a second; ``sent`` gets each step's send time, in order."""
    start.wait()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    interval = 1 / rate
    next_at = time.perf_counter()
    converged = False
    for _ in range(steps):
        next_at += interval
        name = "reset" if converged else "step"
        sent.append(time.perf_counter())
        status, answer = call(connection, "POST", f"/api/sessions/{session_id}/{name}")
        if status >= 400:
            failures.append(f"{name}: {status} {answer}")
            converged = False
        else:
            converged = answer["converged"]
        time.sleep(max(0.0, next_at - time.perf_counter()))
    status, _ = _end(connection, code, token)
    if status != 204:
        failures.append(f"end: {status}")


def _end(connection, code, token):
    connection.request("DELETE", f"/api/classes/{code}",
                       headers={"Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    response.read()
    return response.status, None


class NeverJoined(Exception):
    """Not every follower's stream opened within --max-seconds: no step is measured."""


async def run_class(port, code, token, session_id, args):
    followers = [Follower() for _ in range(args.followers)]
    everyone = asyncio.Event()
    count = [0]

    def connected():
        count[0] += 1
        if count[0] == len(followers):
            everyone.set()

    tasks = [asyncio.create_task(f.follow(port, code, connected)) for f in followers]
    joined_at = time.perf_counter()
    while not everyone.is_set():
        try:
            await asyncio.wait_for(everyone.wait(), 10)
        except asyncio.TimeoutError:
            print(f"{count[0]} of {len(followers)} streams open after "
                  f"{time.perf_counter() - joined_at:.0f} s", file=sys.stderr)
            if time.perf_counter() - joined_at > args.max_seconds:
                waiting = [f.status for f in followers if f.first_id is None and not f.error]
                print(f"waiting on streams whose status is {waiting}; errors "
                      f"{[f.error for f in followers if f.error][:2]}", file=sys.stderr)
                never = NeverJoined(f"{count[0]} of {len(followers)} streams open after "
                                    f"{args.max_seconds:.0f} s")
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise never from None
    print(f"all {len(followers)} streams open in {time.perf_counter() - joined_at:.1f} s",
          file=sys.stderr)
    sent, failures, start = [], [], threading.Event()
    stepping = threading.Thread(target=teacher, args=(port, code, token, session_id, args.steps,
                                                      args.rate, sent, failures, start))
    stepping.start()
    start.set()
    done, pending = await asyncio.wait(tasks, timeout=args.max_seconds)
    for task in pending:
        task.cancel()
    stepping.join()
    return followers, sent, failures, len(pending)


def report(followers, sent, failures, pending, args):
    base = min(f.first_id for f in followers if f.first_id is not None)
    latencies, missing = [], 0
    for follower in followers:
        for index, sent_at in enumerate(sent):
            arrived = follower.arrived.get(base + 1 + index)
            if arrived is None:
                missing += 1
            else:
                latencies.append((arrived - sent_at) * 1000)
    latencies.sort()
    dropped = sum(not f.ended for f in followers)
    server_errors = sum(f.status is not None and f.status >= 500 for f in followers)
    server_errors += sum(": 5" in failure for failure in failures)
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    print(f"followers {len(followers)}, teacher steps {len(sent)} at {args.rate}/s, "
          f"worker class {args.worker_class}, {args.workers} workers x {args.threads} threads")
    print(f"step -> follower: p50 {statistics.median(latencies):.1f} ms, p95 {p95:.1f} ms, "
          f"max {latencies[-1]:.1f} ms over {len(latencies)} events received")
    print(f"events expected {len(sent) * len(followers)}, received {len(latencies)}, "
          f"missing {missing}; dropped streams {dropped} (still open at the end: {pending}); "
          f"5xx {server_errors}; teacher failures {failures[:3]}")
    errors = [f.error or f"status {f.status}" for f in followers if f.error or f.status != 200][:3]
    if errors:
        print(f"stream errors: {errors}")
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} "
          "(1, 5, 15 min)")
    met = p95 <= 250 and missing == 0 and dropped == 0 and server_errors == 0
    p50 = statistics.median(latencies) if latencies else float("nan")
    record(f"class-{args.worker_class}", title=f"A live class ({args.worker_class} workers)",
           command="python3 bench/bench_class.py" + (
               "" if args.worker_class == "gevent"
               else f" --worker-class {args.worker_class} --threads {args.threads}"),
           what=f"One teacher stepping a 5,000-point run {args.rate:g} times a second, "
                f"{len(followers)} followers, gunicorn ({args.workers} {args.worker_class} "
                "workers) with Redis: the time from the teacher's step request to each "
                "follower receiving the event.",
           target="p95 at most 250 ms, nothing dropped, no 5xx", met=met,
           summary=f"p50 / p95 / max {p50:.0f} / {p95:.0f} / "
                   f"{latencies[-1] if latencies else float('nan'):.0f} ms; {missing} of "
                   f"{len(sent) * len(followers)} events missed, {dropped} dropped, "
                   f"{server_errors} 5xx",
           figures={"p50_ms": round(p50, 1), "p95_ms": round(p95, 1),
                    "max_ms": round(latencies[-1], 1) if latencies else None,
                    "events_missed": missing, "events_expected": len(sent) * len(followers),
                    "dropped": dropped, "server_errors": server_errors,
                    "followers": len(followers), "steps": len(sent)})
    return met


@contextlib.contextmanager
def started(server):
    """The server, however long a loaded machine takes to import numpy in its workers."""
    try:
        try:
            server.start()
        except RuntimeError:
            wait_until(lambda: server.answers("/readyz"), "gunicorn", seconds=STARTUP_SECONDS)
        yield server
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=300)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--rate", type=float, default=2.0, help="teacher steps a second")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="gevent", choices=("gevent", "gthread"))
    parser.add_argument("--threads", type=int, default=4,
                        help="per worker; gthread needs one per open stream")
    parser.add_argument("--max-seconds", type=float, default=300)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory, RedisServer(Path(directory) / "redis") as redis:
        env = server_env(redis.url, WEB_CONCURRENCY=str(args.workers),
                         GUNICORN_WORKER_CLASS=args.worker_class,
                         GUNICORN_THREADS=str(args.threads),
                         KMEANS_MAX_FOLLOWERS=str(args.followers + 10))
        with started(Gunicorn(Path(directory) / "gunicorn.log", env)) as server:
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            status, session = call(connection, "POST", "/api/sessions", RUN)
            assert status == 201, session
            status, opened = call(connection, "POST", "/api/classes", {"session": session["id"]})
            assert status == 201, opened
            try:
                followers, sent, failures, pending = asyncio.run(
                    run_class(server.port, opened["code"], opened["token"], session["id"], args))
            except NeverJoined as never:
                print(f"followers {args.followers}, worker class {args.worker_class}, "
                      f"{args.workers} workers x {args.threads} threads: the class never all "
                      f"joined ({never}); no step measured")
                sys.exit(1)
            ok = report(followers, sent, failures, pending, args)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
