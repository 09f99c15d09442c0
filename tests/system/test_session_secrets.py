"""Session ids are secrets held by their owners (SECURITY.md): nothing a follower of a
live class can reach carries the teacher's session id, in any form of the answers, with
sessions in memory or in Redis shared by several workers (apps here)."""

import itertools

import pytest

from app import create_app

QUERIES = ["", "?ahead=1", "?packed=1", "?ahead=1&packed=1"]
CONFIG = {"TESTING": True, "RATE_LIMITS_ENABLED": False, "CLASS_HEARTBEAT_SECONDS": 0.2}


@pytest.fixture(params=["memory", "redis"])
def workers(request):
    """Test clients of the workers of one deployment: one worker with sessions in
    memory, or two sharing a redis-server (each with its own cache of sessions)."""
    if request.param == "memory":
        return [create_app(CONFIG).test_client()]
    url = request.getfixturevalue("redis_server").url
    return [create_app({**CONFIG, "REDIS_URL": url}).test_client() for _ in range(2)]


class Follower:
    """Everything one follower's requests were answered with, byte for byte."""

    def __init__(self, client):
        self.client = client
        self.heard = []

    def ask(self, method, path, **kwargs):
        reply = self.client.open(path, method=method, **kwargs)
        assert reply.status_code < 500, (path, reply.data[:300])
        self.heard.append((f"{method} {path}", reply.status_code, _all_bytes(reply)))
        return reply

    def follow(self, code):
        """Open the class's stream; ``hear()`` reads its next event."""
        self.stream = self.client.get(f"/api/classes/{code}/events", buffered=False)
        self.chunks = iter(self.stream.response)
        self.heard.append((f"GET /api/classes/{code}/events", self.stream.status_code,
                           _headers(self.stream)))

    def hear(self):
        """The stream's next event, as sent (heartbeats too, on the way)."""
        for chunk in self.chunks:
            self.heard.append(("event stream", 200, chunk))
            if b"event: " in chunk:
                return chunk
        raise AssertionError("the stream ended")

    def carrying(self, secret):
        return [(what, status) for what, status, sent in self.heard if secret.encode() in sent]


def _headers(reply):
    return "".join(f"{name}: {value}\n" for name, value in reply.headers).encode()


def _all_bytes(reply):
    return reply.get_data() + _headers(reply)


def _teach(client):
    """A teacher's run stepped the page's way (look-ahead asked for, If-Match sent),
    made a class: the teacher's session id and the class's code."""
    made = client.post("/api/sessions?ahead=1&packed=1", json={"dataset": "blobs", "k": 3})
    assert made.status_code == 201
    session_id, etag = made.get_json()["id"], made.headers["ETag"]
    for _ in range(2):  # Init, then Assign: each answer works out the step after it
        stepped = client.post(f"/api/sessions/{session_id}/step?ahead=1&packed=1",
                              headers={"If-Match": etag, "Content-Length": "0"})
        assert stepped.status_code == 200
        etag = stepped.headers["ETag"]
    opened = client.post("/api/classes", json={"session": session_id})
    assert opened.status_code == 201
    return session_id, opened.get_json()["code"]


def test_no_answer_a_follower_can_reach_carries_the_teachers_session_id(workers):
    teacher_id, code = _teach(workers[0])
    followers = [Follower(client) for client in workers]
    for follower in followers:
        follower.ask("GET", f"/api/classes/{code}")
        follower.ask("GET", f"/join/{code}")
        follower.ask("GET", f"/class/{code}")
        follower.ask("GET", f"/class/{code}/qr.svg")
        follower.follow(code)
        assert b"event: run" in follower.hear()
    # Every fork, asked every way, on every worker; then all a fork's owner does with it,
    # each way again, on every worker.
    for follower, forking in itertools.product(followers, QUERIES):
        forked = follower.ask("POST", f"/api/classes/{code}/fork{forking}")
        assert forked.status_code == 201
        fork_id = forked.get_json()["id"]
        assert fork_id != teacher_id
        for asker, asking in itertools.product(followers, QUERIES):
            asker.ask("GET", f"/api/sessions/{fork_id}{asking}")
        for asker, (step, asking) in zip(itertools.cycle(followers),
                                         itertools.product(("step", "back", "step", "update"),
                                                           QUERIES)):
            asker.ask("POST", f"/api/sessions/{fork_id}/{step}{asking}",
                      headers={"Content-Length": "0"})
        for follower_after in followers:
            follower_after.ask("GET", f"/api/sessions/{fork_id}/centroids")
            follower_after.ask("GET", f"/api/sessions/{fork_id}/export.json")
    # The teacher steps on; the followers hear it on their streams.
    workers[0].post(f"/api/sessions/{teacher_id}/step?ahead=1")
    for follower in followers:
        assert b"event: step" in follower.hear()
        follower.stream.close()
    assert sum(len(follower.heard) for follower in followers) > 50 * len(followers)
    leaks = [leak for follower in followers for leak in follower.carrying(teacher_id)]
    assert leaks == []


def test_a_fork_works_out_its_own_next_step_not_the_teachers(workers):
    """A fork is a new session in every field it holds, its look-ahead included: the
    next step it foretells is its own (no id in it), and taking it steps the fork only."""
    teacher_id, code = _teach(workers[0])
    forked = workers[0].post(f"/api/classes/{code}/fork?ahead=1")
    fork = forked.get_json()
    assert "id" not in fork["next"]
    stepped = workers[-1].post(f"/api/sessions/{fork['id']}/update?ahead=1",
                               headers={"If-Match": forked.headers["ETag"]})
    assert stepped.status_code == 200
    assert stepped.get_json()["centroids"] == fork["next"]["centroids"]
    teacher = workers[0].get(f"/api/sessions/{teacher_id}").get_json()
    assert teacher["phase"] == "assigned"
    assert teacher["centroids"] != stepped.get_json()["centroids"]
