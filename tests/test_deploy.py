"""A class's deployment, for real: gunicorn servers of several workers sharing one
redis-server, all on loopback, started here and stopped after."""

import json
import subprocess
import sys
import threading

import pytest

from app import create_app
from services import REPO, Gunicorn, RedisServer, request, server_env, wait_until


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
        status, created = request(two_servers[index % 2].port, "POST", "/api/sessions", body)
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
