"""The Redis store: sessions kept as versioned records (tests/unit/test_records.py),
steps saved one after the other across servers, and a clear 503 when Redis is away.
Against a real redis-server."""

import json

import numpy as np
import pytest
import redis
from sklearn.cluster import KMeans

from app import create_app
from app.core import datasets
from app.stores.redis_store import RedisStore
from app.core.session import Session, StepRefused
from app.stores.base import StepLimit, TooManySteps, UnknownSession
from app.web import presentation
from services import RedisServer


@pytest.fixture
def app_without_redis(tmp_path):
    """An app started on a Redis that has gone away since."""
    with RedisServer(tmp_path / "redis") as gone:
        app = create_app({"TESTING": True, "REDIS_URL": gone.url})
    return app


@pytest.fixture
def client(redis_server):
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    yield client
    client.close()


def make_store(client, wait_seconds=5.0, idle_seconds=600):
    """A store as one server of a class has it (each server its own)."""
    return RedisStore(client, idle_seconds=idle_seconds, wait_seconds=wait_seconds)


def new_session():
    return Session(datasets.load("mouse", {"random_state": 0}), 3, "random", 1)


# --- The store -----------------------------------------------------------------------

def test_a_session_put_is_got_back_and_deleted(client):
    store = make_store(client)
    session = new_session()
    session.run(max_iter=3)
    store.put(session)
    assert presentation.state(make_store(client).get(session.id)) == presentation.state(session)
    assert store.delete(session.id) is True
    assert store.get(session.id) is None and store.delete(session.id) is False
    with pytest.raises(UnknownSession) as unknown:
        store.apply(session.id, Session.step)
    assert unknown.value.session_id == session.id


def test_a_key_left_by_an_older_version_is_no_session(client):
    store = make_store(client)
    client.set("kmeans:session:old", b"KMS1 a record without a version")
    assert store.get("old") is None
    with pytest.raises(UnknownSession):
        store.apply("old", Session.step)


def test_every_use_of_a_session_starts_its_idle_expiry_again(client):
    store = make_store(client, idle_seconds=600)
    session = new_session()
    store.put(session)
    key = f"kmeans:session:{session.id}"
    assert 590_000 < client.pttl(key) <= 600_000
    client.pexpire(key, 1000)
    store.get(session.id)
    assert client.pttl(key) > 590_000
    client.pexpire(key, 1000)
    store.apply(session.id, Session.step)
    assert client.pttl(key) > 590_000


def test_a_step_is_saved_as_a_new_version_and_the_stored_session_is_never_changed(client):
    store = make_store(client)
    session = new_session()
    store.put(session)
    before = store.get(session.id)
    stepped = store.apply(session.id, Session.step).session
    assert [step.kind for step in stepped.steps] == ["init"] and before.steps == []
    assert client.hget(f"kmeans:session:{session.id}", "v") == b"2"
    assert presentation.state(make_store(client).get(session.id)) == presentation.state(stepped)


def test_a_save_sent_again_after_its_reply_was_lost_is_saved_once(client):
    store = make_store(client)
    session = new_session()
    store.put(session)
    save_over = store._save_over

    def reply_lost_then_sent_again(keys, args):
        save_over(keys=keys, args=args)  # Redis saved it, and its reply was lost
        return save_over(keys=keys, args=args)  # sent again, as redis-py's retry does

    store._save_over = reply_lost_then_sent_again
    stepped = store.apply(session.id, Session.step).session
    assert [step.kind for step in stepped.steps] == ["init"]
    assert client.hget(f"kmeans:session:{session.id}", "v") == b"2"
    assert [step.kind for step in make_store(client).get(session.id).steps] == ["init"]


def test_the_session_a_worker_saved_is_stepped_from_again_in_one_round_trip(client):
    store = make_store(client)
    session = new_session()
    store.put(session)
    store.apply(session.id, Session.step)

    def no_reading(*args, **kwargs):
        raise AssertionError("the session was read from Redis")

    store._load = no_reading
    assert [step.kind for step in store.apply(session.id, Session.step).session.steps] == [
        "init", "assign"]


def test_a_step_that_lost_the_race_is_taken_again_from_the_one_saved_first(client):
    first, second = make_store(client), make_store(client)
    session = new_session()
    first.put(session)
    first.apply(session.id, Session.step)  # first keeps version 2
    second.apply(session.id, Session.step)  # and second saves version 3 meanwhile
    stepped = first.apply(session.id, Session.step).session
    assert [step.kind for step in stepped.steps] == ["init", "assign", "update"]
    for store in (first, second):
        assert presentation.state(store.get(session.id)) == presentation.state(stepped)


def test_a_refusal_from_a_worker_behind_is_checked_against_the_stored_session(client):
    first, second = make_store(client), make_store(client)
    session = new_session()
    first.put(session)  # first keeps it new: it would refuse to assign
    second.apply(session.id, Session.initialize)
    assert first.apply(session.id, Session.assign).session.phase == "assigned"
    with pytest.raises(StepRefused) as refused:
        first.apply(session.id, Session.assign)  # refused by the stored session too
    assert refused.value.reason == "already_assigned"


def test_steps_are_counted_per_session_across_servers_and_refused_past_the_limit(client):
    first, second = make_store(client), make_store(client)
    limit = StepLimit(amount=3, seconds=60)
    sessions = [new_session() for _ in range(2)]
    for session in sessions:
        first.put(session)
    for store in (first, second, first):
        store.apply(sessions[0].id, Session.step, limit)
    with pytest.raises(TooManySteps) as refusal:
        second.apply(sessions[0].id, Session.step, limit)
    assert 0 < refusal.value.seconds_left <= 60
    assert len(second.get(sessions[0].id).steps) == 3
    second.apply(sessions[1].id, Session.step, limit)  # another session counts on its own
    with pytest.raises(UnknownSession):
        # counts nothing, keeps nothing
        second.apply("no such session", Session.step, limit)
    assert sorted(client.keys("kmeans:steps:*")) == sorted(
        f"kmeans:steps:{session.id}".encode() for session in sessions)
    assert 58_000 < client.pttl(f"kmeans:steps:{sessions[0].id}") <= 60_000


def test_a_step_past_the_limit_is_refused_again_without_asking_redis(client):
    store = make_store(client)
    limit = StepLimit(amount=1, seconds=60)
    session = new_session()
    store.put(session)
    store.apply(session.id, Session.step, limit)
    with pytest.raises(TooManySteps):
        store.apply(session.id, Session.step, limit)
    client.delete(f"kmeans:steps:{session.id}")  # Redis would let it through now
    with pytest.raises(TooManySteps):
        store.apply(session.id, Session.step, limit)
    assert len(store.get(session.id).steps) == 1


def test_a_step_that_lost_the_race_is_counted_once(client):
    first, second = make_store(client), make_store(client)
    limit = StepLimit(amount=3, seconds=60)
    session = new_session()
    first.put(session)
    second.apply(session.id, Session.step, limit)
    first.apply(session.id, Session.step, limit)  # from version 1: raced, taken again
    assert client.get(f"kmeans:steps:{session.id}") == b"2"
    assert len(first.get(session.id).steps) == 2


def test_a_step_past_the_limit_is_a_429_with_retry_after_through_the_app(redis_server, client):
    api = create_app({"TESTING": True, "REDIS_URL": redis_server.url,
                      "STEP_LIMIT": "3 per minute"}).test_client()
    first, second = (api.post("/api/sessions", json={"dataset": "mouse", "k": 3}).get_json()["id"]
                     for _ in range(2))
    replies = [api.post(f"/api/sessions/{first}/{name}")
               for name in ("init", "assign", "update", "back")]
    assert [reply.status_code for reply in replies] == [200, 200, 200, 429]
    assert replies[-1].get_json() == {"error": "too many steps on this session; wait a moment",
                                      "status": 429}
    assert 0 < int(replies[-1].headers["Retry-After"]) <= 60
    assert api.post(f"/api/sessions/{second}/step").status_code == 200
    assert api.get(f"/api/sessions/{first}").status_code == 200  # reading is not a step


# --- The app on Redis ------------------------------------------------------------------

REQUESTS = [
    ("POST", "step"), ("POST", "assign"), ("POST", "update"), ("POST", "back"),
    ("POST", "run"), ("GET", "centroids"), ("POST", "back"), ("GET", "export.json"),
    ("GET", "restarts"), ("POST", "reset"), ("POST", "step"), ("GET", ""),
]


@pytest.mark.parametrize("dataset", [
    "mouse", {"name": "custom", "points": [[0, 0], [1, 0], [9, 9], [8, 9], [4, 4]],
              "labels": [0, 0, 1, 1, 1]}], ids=["mouse", "custom points"])
def test_the_api_answers_the_same_with_sessions_in_redis_as_in_memory(redis_server, client,
                                                                     dataset):
    answers = []
    for config in ({}, {"REDIS_URL": redis_server.url}):
        api = create_app({"TESTING": True, "RATE_LIMITS_ENABLED": False, **config}).test_client()
        created = api.post("/api/sessions", json={"dataset": dataset, "k": 2, "seed": 4})
        base = f"/api/sessions/{created.get_json()['id']}"
        replies = [created.get_json()]
        for method, name in REQUESTS:
            reply = api.open(f"{base}/{name}".rstrip("/"), method=method,
                             json={} if method == "POST" else None)
            replies.append((reply.status_code, reply.get_json()))
        answers.append(json.loads(json.dumps(replies).replace(base.split("/")[-1], "ID")))
    assert answers[0] == answers[1]
    assert all(status == 200 for status, _ in answers[1][1:])
    assert client.keys("kmeans:session:*")


def test_when_redis_cannot_be_reached_every_store_error_is_a_503_in_the_json_shape(
        app_without_redis):
    api = app_without_redis.test_client()
    message = "the session store (Redis) cannot be reached; try again in a moment"
    for method, path, body in [("POST", "/api/sessions", {"dataset": "blobs", "k": 3}),
                               ("POST", "/api/sessions/abc/step", {}),
                               ("GET", "/api/sessions/abc", None),
                               ("DELETE", "/api/sessions/abc", None)]:
        reply = api.open(path, method=method, json=body)
        assert (reply.status_code, reply.get_json()) == (503, {"error": message, "status": 503})
    assert api.get("/readyz").status_code == 503
    assert api.get("/readyz").get_json()["status"] == 503
    assert api.get("/healthz").get_json() == {"status": "ok"}


def test_with_redis_away_the_rate_limits_let_requests_through_and_say_so_in_one_line(
        app_without_redis, caplog):
    api = app_without_redis.test_client()
    for _ in range(3):  # let through by the limit per address, then refused by the store
        assert api.post("/api/sessions", json={"dataset": "blobs", "k": 3}).status_code == 503
    warnings = [record for record in caplog.records if record.name == "flask-limiter"]
    assert len(warnings) == 3
    for record in warnings:
        assert record.levelname == "WARNING" and not record.exc_info
        assert record.getMessage().startswith("Failed to rate limit. Swallowing error: ")
        assert "\n" not in record.getMessage()


def test_a_step_that_keeps_losing_the_race_past_its_wait_is_a_503_in_the_json_shape(
        redis_server, client):
    app = create_app({"TESTING": True, "REDIS_URL": redis_server.url})
    app.extensions["session_store"].wait_seconds = 0
    api = app.test_client()
    session_id = api.post("/api/sessions", json={"dataset": "mouse", "k": 3}).get_json()["id"]
    make_store(client).apply(session_id, Session.step)  # saved elsewhere meanwhile
    reply = api.post(f"/api/sessions/{session_id}/step")
    assert reply.status_code == 503
    assert reply.get_json()["error"].startswith("this session is busy with other steps")
    again = api.post(f"/api/sessions/{session_id}/step")
    assert again.status_code == 200 and again.get_json()["phase"] == "assigned"


def test_a_notebooks_wide_data_in_redis_are_shown_and_stepped_by_another_server(redis_server,
                                                                                client):
    rows = np.random.RandomState(5).randint(0, 256, size=(120, 64))  # bytes, as digits' pixels
    made_by, shown_by = (create_app({"TESTING": True, "RATE_LIMITS_ENABLED": False,
                                     "REDIS_URL": redis_server.url}).test_client()
                         for _ in range(2))
    made = made_by.post("/api/sessions", json={
        "dataset": {"name": "custom", "points": rows.tolist()}, "k": 4, "seed": 2}).get_json()
    assert shown_by.get(f"/embed?session={made['id']}").status_code == 200
    while not shown_by.post(f"/api/sessions/{made['id']}/step").get_json()["converged"]:
        pass
    labels = made_by.get(f"/api/sessions/{made['id']}").get_json()["labels"]
    reference = KMeans(4, random_state=2, n_init=1).fit(rows.astype(float))
    np.testing.assert_array_equal(labels, reference.labels_)
    kept = client.hget(f"kmeans:session:{made['id']}", "r")
    assert len(kept) < rows.size * 8  # the points kept as bytes: as float64 alone they would not fit


def test_a_step_asks_redis_once_and_reads_there_whether_a_class_follows_it(redis_server, client):
    app = create_app({"TESTING": True, "REDIS_URL": redis_server.url})
    api = app.test_client()
    taught, alone = (api.post("/api/sessions", json={"dataset": "mouse", "k": 3}).get_json()["id"]
                     for _ in range(2))
    opened = api.post("/api/classes", json={"session": taught})
    assert opened.status_code == 201
    code = opened.get_json()["code"]
    for session_id in (taught, alone):
        assert api.post(f"/api/sessions/{session_id}/init").status_code == 200
    sessions = app.extensions["session_store"].client
    asked = []
    execute = sessions.execute_command
    sessions.execute_command = lambda *args, **options: (asked.append(args[0]),
                                                         execute(*args, **options))[1]

    def steps_announced():  # the class's backlog: "id kind data" each
        return [event.split(b" ", 2)[1] for event in
                client.lrange(f"kmeans:class-events:{code}", 0, -1)].count(b"step")

    announced = steps_announced()
    try:
        assert api.post(f"/api/sessions/{alone}/assign").status_code == 200
        assert asked == ["EVALSHA"]  # the step saved, and no class found, in one round trip
        assert steps_announced() == announced
        asked.clear()
        assert api.post(f"/api/sessions/{taught}/assign").status_code == 200
    finally:
        sessions.execute_command = execute
    assert asked[0] == "EVALSHA"
    assert steps_announced() == announced + 1
