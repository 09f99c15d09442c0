"""A live class across servers: two gunicorn instances (gevent workers, as
docs/live.md sets them) sharing one redis-server; the teacher on one, followers on both."""

import http.client
import json
import socket

import pytest

from services import Gunicorn, RedisServer, request, server_env, wait_until

WAIT_SECONDS = 60


@pytest.fixture(scope="module")
def redis_for_class(tmp_path_factory):
    with RedisServer(tmp_path_factory.mktemp("redis-live")) as server:
        yield server


@pytest.fixture(scope="module")
def two_servers(redis_for_class, tmp_path_factory):
    logs = tmp_path_factory.mktemp("gunicorn-live")
    env = server_env(redis_for_class.url, GUNICORN_WORKER_CLASS="gevent",
                     KMEANS_CLASS_HEARTBEAT_SECONDS="1")
    servers = []
    try:
        for index in (1, 2):
            servers.append(Gunicorn(logs / f"live{index}.log", env).start())
        yield servers
    finally:
        for server in servers:
            server.stop()


class Follower:
    """An open event stream on one server, read event by event."""

    def __init__(self, port, code):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT_SECONDS)
        self.connection.request("GET", f"/api/classes/{code}/events")
        self.response = self.connection.getresponse()
        assert self.response.status == 200, self.response.read()

    def next(self):
        fields = {}
        while True:
            line = self.response.readline().decode()
            if not line:
                raise AssertionError("the stream ended")
            line = line.rstrip("\n")
            if line == "" and "event" in fields:
                return int(fields["id"]), fields["event"], json.loads(fields["data"])
            if ": " in line and not line.startswith(":"):
                key, value = line.split(": ", 1)
                fields[key] = value

    def close(self):
        self.connection.close()


def teach(port):
    status, session = request(port, "POST", "/api/sessions", {"dataset": "blobs", "k": 4})
    assert status == 201
    status, opened = request(port, "POST", "/api/classes", {"session": session["id"]})
    assert status == 201, opened
    return session["id"], opened["code"]


def step(port, session_id):
    status, answer = request(port, "POST", f"/api/sessions/{session_id}/step")
    assert status == 200, answer
    return {key: value for key, value in answer.items() if key != "id"}


def test_followers_on_another_server_get_each_step_of_the_teacher(two_servers):
    teacher, other = two_servers
    session_id, code = teach(teacher.port)
    followers = [Follower(other.port, code), Follower(other.port, code), Follower(teacher.port, code)]
    for follower in followers:
        assert follower.next()[1] == "run"
    for _ in range(4):
        answer = step(teacher.port, session_id)
        for follower in followers:
            _, kind, data = follower.next()
            assert kind == "step" and data["state"] == answer
    status, shown = request(other.port, "GET", f"/api/classes/{code}")
    assert status == 200 and shown["followers"] == 3
    for follower in followers:
        follower.close()


def test_a_redis_restart_mid_class_resumes_the_open_streams(two_servers, redis_for_class):
    teacher, other = two_servers
    session_id, code = teach(teacher.port)
    followers = [Follower(other.port, code), Follower(teacher.port, code)]
    for follower in followers:
        follower.next()
    step(teacher.port, session_id)
    last = [follower.next()[0] for follower in followers]

    redis_for_class.stop()
    redis_for_class.start()  # the same port and append-only file: the class is still there

    def stepped():
        status, _ = request(teacher.port, "POST", f"/api/sessions/{session_id}/step")
        return status == 200

    wait_until(stepped, "a step once Redis is back", seconds=WAIT_SECONDS)
    answer = step(teacher.port, session_id)
    for follower, before in zip(followers, last):
        first = follower.next()
        second = follower.next()
        assert (first[0], second[0]) == (before + 1, before + 2)  # no gap, on the same stream
        assert second[2]["state"] == answer
    for follower in followers:
        follower.close()
