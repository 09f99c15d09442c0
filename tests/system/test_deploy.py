"""A class's deployment, for real: gunicorn servers of several workers sharing one
redis-server, all on loopback, started here and stopped after."""

import http.client
import json
import subprocess
import sys
import threading
import time

import pytest

from app import create_app
from services import (REPO, Gunicorn, RedisServer, free_port, request, server_env,
                      wait_until)


@pytest.fixture(scope="module")
def two_servers(redis_server, tmp_path_factory):
    """Two gunicorn instances of two workers each, on two ports, sharing one Redis."""
    logs = tmp_path_factory.mktemp("gunicorn")
    servers = [Gunicorn(logs / f"server{i}.log", server_env(redis_server.url)) for i in (1, 2)]
    try:
        _start_together(servers)
        for server in servers:
            wait_until(lambda: server.log().count("Booting worker") >= 2, "a second worker")
        yield servers
    finally:
        for server in servers:
            server.stop()


def _start_together(servers):
    """Side by side: each takes seconds to import numpy and scikit-learn."""
    errors = []

    def start(server):
        try:
            server.start()
        except Exception as error:  # reported below, with the server's log
            errors.append((server, error))

    threads = [threading.Thread(target=start, args=(server,)) for server in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        server, error = errors[0]
        raise RuntimeError(f"{error}\n{server.log()}")


class OneProcess:
    """The same requests answered by the app in this process, sessions in its memory."""

    def __init__(self):
        self.client = create_app({"TESTING": True, "RATE_LIMITS_ENABLED": False}).test_client()

    def request(self, method, path, body=None):
        reply = self.client.open(path, method=method, json=body)
        return reply.status_code, reply.get_json()


def without_id(answer):
    """An answer with the session id taken out: the two runs' ids differ."""
    if isinstance(answer, dict) and "id" in answer:
        return {key: value for key, value in answer.items() if key != "id"}
    return answer


SESSIONS = [
    {"dataset": {"name": "blobs", "random_state": seed}, "k": 3 + seed % 4, "seed": seed,
     "init": ("kmeans++", "random", "farthest", "random_partition")[seed % 4]}
    for seed in range(10)
] + [
    {"dataset": "mouse", "k": 3, "init": "random", "seed": 7},
    {"dataset": {"name": "mnist", "pca_components": 2}, "k": 10, "seed": 1},
    {"dataset": {"name": "custom", "points": [[0, 0], [1, 1], [0, 1], [9, 9], [8, 9], [5, 0]],
                 "labels": [0, 0, 0, 1, 1, 2]}, "k": 2, "seed": 3},
]
STEPS = (["step"] * 5 + ["back", "assign", "update", "back", "back"] + ["step"] * 4
         + ["run", "back", "step"])


def test_two_servers_answer_every_step_as_one_process_would(two_servers):
    here = OneProcess()
    ids = []
    for index, body in enumerate(SESSIONS):
        answers = []
        # A worker reads the prepared MNIST in the background as it starts: a request in
        # that moment is told to ask again (503), as the page does.
        wait_until(lambda: answers.append(request(two_servers[index % 2].port, "POST",
                                                  "/api/sessions", body))
                   or answers[-1][0] != 503, "the prepared MNIST")
        status, created = answers[-1]
        assert status == 201, created
        expected = here.request("POST", "/api/sessions", body)
        assert without_id(created) == without_id(expected[1])
        ids.append((created["id"], expected[1]["id"]))
    turn = 0
    for name in STEPS:
        for remote_id, local_id in ids:  # each session's steps alternate between the servers
            turn += 1
            answer = request(two_servers[turn % 2].port, "POST",
                             f"/api/sessions/{remote_id}/{name}", {})
            expected = here.request("POST", f"/api/sessions/{local_id}/{name}", {})
            assert (answer[0], without_id(answer[1])) == (expected[0], without_id(expected[1]))
    for index, (remote_id, local_id) in enumerate(ids):
        final = request(two_servers[index % 2].port, "GET", f"/api/sessions/{remote_id}")[1]
        expected = here.request("GET", f"/api/sessions/{local_id}")[1]
        assert final["centroids"] == expected["centroids"] and final["centroids"] is not None
        assert without_id(final) == without_id(expected)


def test_twenty_racing_steps_on_one_session_are_each_taken_once(two_servers):
    body = {"dataset": {"name": "uniform", "n_samples": 2000}, "k": 30, "init": "random"}
    session_id = request(two_servers[0].port, "POST", "/api/sessions", body)[1]["id"]
    start = threading.Barrier(20)
    statuses = []

    def click(server):
        start.wait()
        statuses.append(request(server.port, "POST", f"/api/sessions/{session_id}/step", {})[0])

    threads = [threading.Thread(target=click, args=(two_servers[i % 2],)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    accepted = statuses.count(200)
    assert sorted(statuses) == [200] * 20

    state = request(two_servers[1].port, "GET", f"/api/sessions/{session_id}")[1]
    kinds = [entry["step"] for entry in state["history"]]
    assert len(kinds) == accepted
    assert state["iteration"] == kinds.count("update")
    assert kinds == ["init"] + ["assign", "update"] * 9 + ["assign"]
    here = OneProcess()
    local_id = here.request("POST", "/api/sessions", body)[1]["id"]
    for _ in range(accepted):
        here.request("POST", f"/api/sessions/{local_id}/step", {})
    expected = here.request("GET", f"/api/sessions/{local_id}")[1]
    assert not expected["converged"]
    assert without_id(state) == without_id(expected)


def test_sessions_outlive_a_restart_of_the_app_and_of_redis(tmp_path):
    redis_server = RedisServer(tmp_path / "redis").start()
    server = Gunicorn(tmp_path / "gunicorn.log", server_env(redis_server.url))
    try:
        server.start()
        port = server.port
        session_id = request(port, "POST", "/api/sessions", {"dataset": "mouse", "k": 3})[1]["id"]
        assert request(port, "POST", f"/api/sessions/{session_id}/step", {})[0] == 200

        server.stop()
        server.start()
        state = request(port, "GET", f"/api/sessions/{session_id}")[1]
        assert state["phase"] == "initialized"

        redis_server.stop()
        unreachable = {"error": "the session store (Redis) cannot be reached; "
                                "try again in a moment", "status": 503}
        assert request(port, "POST", f"/api/sessions/{session_id}/step", {}) == (503, unreachable)
        assert request(port, "POST", "/api/sessions", {"dataset": "mouse", "k": 3}) == (
            503, unreachable)
        assert request(port, "GET", "/readyz")[0] == 503
        assert request(port, "GET", "/healthz") == (200, {"status": "ok"})

        redis_server.start()
        wait_until(lambda: server.answers("/readyz"), "the app on Redis again")
        assert request(port, "POST", f"/api/sessions/{session_id}/step", {})[1]["phase"] == "assigned"
        assert request(port, "POST", "/api/sessions", {"dataset": "mouse", "k": 3})[0] == 201
        assert server.process.poll() is None
    finally:
        server.stop()
        redis_server.stop()


def test_gunicorn_takes_its_port_and_workers_from_the_environment():
    def settings(**env):
        code = ("import runpy; c = runpy.run_path('gunicorn.conf.py'); "
                "print(json.dumps([c['bind'], c['workers'], c['threads']]))")
        result = subprocess.run([sys.executable, "-c", "import json; " + code], cwd=REPO,
                                env={"PATH": "/usr/bin:/bin", **env}, capture_output=True,
                                text=True)
        return json.loads(result.stdout) if result.returncode == 0 else result.stderr

    assert settings() == ["0.0.0.0:8000", 1, 4]
    assert settings(PORT="9001", REDIS_URL="redis://r", WEB_CONCURRENCY="5",
                    GUNICORN_THREADS="2") == ["0.0.0.0:9001", 5, 2]
    assert settings(REDIS_URL="redis://r")[1] == 2
    assert "WEB_CONCURRENCY=3 needs REDIS_URL" in settings(WEB_CONCURRENCY="3")


# --- Running a class without surprises -------------------------------------------------

MOUSE = {"dataset": "mouse", "k": 3}


def step(port, session_id, name="step", version=None, timeout=30):
    """One step over HTTP, from ``version`` if given: (status, answer, ETag)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"}
        if version is not None:
            headers["If-Match"] = f'"{version}"'
        connection.request("POST", f"/api/sessions/{session_id}/{name}", body="{}",
                           headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read()), response.getheader("ETag")
    finally:
        connection.close()


@pytest.fixture
def redis_and_server(tmp_path):
    """One gunicorn of two workers on its own durable redis-server."""
    redis_server = RedisServer(tmp_path / "redis").start()
    server = Gunicorn(tmp_path / "gunicorn.log", server_env(redis_server.url))
    try:
        server.start()
        yield redis_server, server
    finally:
        server.stop()
        redis_server.thaw()
        redis_server.stop()


def test_a_reload_under_load_fails_no_request_and_runs_new_workers(redis_and_server):
    _, server = redis_and_server
    wait_until(lambda: len(server.workers()) == 2, "two workers")
    old = set(server.workers())
    ids = [request(server.port, "POST", "/api/sessions", MOUSE)[1]["id"] for _ in range(8)]
    failures, waits, stop = [], [], threading.Event()

    def student(session_id):
        while not stop.is_set():
            for name in ("step", "back"):
                started = time.monotonic()
                status, answer, _ = step(server.port, session_id, name)
                waits.append(time.monotonic() - started)
                if status != 200:
                    failures.append((status, answer))

    students = [threading.Thread(target=student, args=(i,)) for i in ids]
    for thread in students:
        thread.start()
    try:
        wait_until(lambda: len(waits) > 20, "the students' first steps")
        server.reload()
        # Generous: the old workers finish their requests and exit on a loaded machine.
        wait_until(lambda: len(server.workers()) == 2 and not old & set(server.workers()),
                   "the new workers, alone", seconds=180)
        done = len(waits)
        wait_until(lambda: len(waits) > done + 20, "steps on the new workers")
    finally:
        stop.set()
        for thread in students:
            thread.join()
    print(f"longest wait through a reload: {max(waits):.2f} s over {len(waits)} steps "
          "(bench/bench_reload.py measures it)")
    assert failures == []
    assert server.process.poll() is None


def test_a_frozen_redis_gives_503s_at_once_and_the_server_is_not_ready(redis_and_server):
    redis_server, server = redis_and_server
    session_id = request(server.port, "POST", "/api/sessions", MOUSE)[1]["id"]
    assert step(server.port, session_id, version=1)[0] == 200
    redis_server.freeze()
    started = time.monotonic()
    status, answer, _ = step(server.port, session_id, version=2)
    waited = time.monotonic() - started
    assert (status, answer) == (503, {"error": "the session store (Redis) cannot be reached; "
                                               "try again in a moment", "status": 503})
    started = time.monotonic()
    assert request(server.port, "GET", "/readyz") == (503, {
        "error": "not ready: the session store (Redis) cannot be reached", "status": 503})
    waited = max(waited, time.monotonic() - started)
    # Redis is asked once, for at most KMEANS_REDIS_TIMEOUT_SECONDS (0.5 s); before, each
    # request waited three times 5 s. The bound leaves room for a loaded machine.
    assert waited < 4, f"a frozen Redis held a request {waited:.1f} s"
    assert request(server.port, "GET", "/healthz")[0] == 200
    redis_server.thaw()
    wait_until(lambda: server.answers("/readyz"), "the server ready again")
    # Redis may have saved the step it was sent before it froze (its answer lost):
    # sent again from the same version, the step is taken once either way.
    status, answer, etag = step(server.port, session_id, version=2)
    assert (status, answer["phase"], etag) == (200, "assigned", '"3"')


def test_a_redis_without_persistence_is_said_at_start_and_refused_if_required(tmp_path):
    with RedisServer(tmp_path / "redis", options=("--appendonly", "no", "--save", "")) as bare:
        server = Gunicorn(tmp_path / "warned.log", server_env(bare.url))
        with server:
            ready = request(server.port, "GET", "/readyz")
        detail = ("Redis has appendonly no and no snapshots (save ''): a restart of Redis "
                  "loses every session; set appendonly yes (deploy/redis-kmeans.conf)")
        assert ready == (200, {"status": "ready", "durable": False, "sessions": detail})
        assert f"WARNING in __init__: REDIS_URL={bare.url}: {detail}" in server.log()

        refusing = Gunicorn(tmp_path / "refused.log",
                            server_env(bare.url, KMEANS_REQUIRE_DURABLE_REDIS="yes"))
        assert refusing.fails_to_start() not in (None, 0)
        assert (f"StartError: REDIS_URL={bare.url}: {detail}; KMEANS_REQUIRE_DURABLE_REDIS is "
                "true, so the app does not start") in refusing.log()


def test_the_shipped_redis_configuration_keeps_sessions_through_a_restart(tmp_path):
    with RedisServer(tmp_path / "redis", options=(),
                     config=REPO / "deploy" / "redis-kmeans.conf") as durable:
        app = create_app({"TESTING": True, "REDIS_URL": durable.url,
                          "REQUIRE_DURABLE_REDIS": True})
        assert app.test_client().get("/readyz").get_json()["durable"] is True


def test_a_wrong_redis_url_stops_the_start_with_a_clear_message(tmp_path):
    url = f"redis://127.0.0.1:{free_port()}/0"
    server = Gunicorn(tmp_path / "gunicorn.log", server_env(url))
    assert server.fails_to_start() not in (None, 0)
    assert (f"StartError: REDIS_URL={url}: Redis cannot be reached (Error 111 connecting to "
            f"127.0.0.1:{url.split(':')[2].split('/')[0]}. Connection refused.); start it, fix "
            "REDIS_URL, or unset it to keep sessions in memory") in server.log()


def test_an_unreadable_setting_stops_gunicorn_naming_it(tmp_path):
    server = Gunicorn(tmp_path / "gunicorn.log", server_env(KMEANS_RATE_LIMITS_ENABLED="False!"))
    assert server.fails_to_start() not in (None, 0)
    assert "KMEANS_RATE_LIMITS_ENABLED='False!' is not a boolean" in server.log()


def test_a_step_sent_again_with_its_version_is_taken_once_and_a_stale_one_is_refused(
        two_servers):
    first, second = (server.port for server in two_servers)
    status, created = request(first, "POST", "/api/sessions", MOUSE)
    session_id = created["id"]
    status, stepped, etag = step(first, session_id, version=1)
    assert (status, etag, stepped["phase"]) == (200, '"2"', "initialized")
    # Its answer lost, the page sends it again, here to the other server.
    assert step(second, session_id, version=1) == (200, stepped, '"2"')
    assert step(first, session_id, version=1) == (200, stepped, '"2"')
    history = request(second, "GET", f"/api/sessions/{session_id}")[1]["history"]
    assert [entry["step"] for entry in history] == ["init"]

    # Another tab steps on; this tab's next click, from version 2, is refused.
    assert step(second, session_id, "assign", version=2)[0] == 200
    status, refused, etag = step(first, session_id, "assign", version=2)
    assert (status, etag) == (200, '"3"')  # the same request again: the same answer
    status, refused, etag = step(first, session_id, "update", version=2)
    assert (status, etag, refused["state"]["phase"]) == (412, '"3"', "assigned")
    assert refused["error"].startswith("this run moved on elsewhere (another tab or window?)")
    assert step(first, session_id, "update", version=3)[1]["phase"] == "updated"


def test_gunicorn_binds_to_host_and_reads_its_settings_strictly():
    def settings(**env):
        code = "import runpy; c = runpy.run_path('gunicorn.conf.py'); print(c['bind'])"
        result = subprocess.run([sys.executable, "-c", code], cwd=REPO,
                                env={"PATH": "/usr/bin:/bin", **env}, capture_output=True,
                                text=True)
        return result.stdout.strip() if result.returncode == 0 else result.stderr

    assert settings() == "0.0.0.0:8000"
    assert settings(HOST="127.0.0.1", PORT="9001") == "127.0.0.1:9001"
    assert settings(HOST="::1") == "[::1]:8000"
    assert "PORT='eighty' is not a whole number" in settings(PORT="eighty")
