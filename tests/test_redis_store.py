"""The Redis store: sessions kept as compact records, steps taken one at a time
across servers, and a clear 503 when Redis is away. Against a real redis-server."""

import dataclasses
import json
import threading
import time
from contextlib import ExitStack

import numpy as np
import pytest
import redis

from app import create_app, datasets
from app.records import from_record, to_record
from app.redis_store import RedisStore, SessionBusy
from app.session import Session, Step
from app.store import StepLimit, TooManySteps
from services import RedisServer, free_port


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def client(redis_server):
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    yield client
    client.close()


def make_store(client, wait_seconds=5.0, idle_seconds=600):
    """A store as one server of a class has it (each server its own)."""
    return RedisStore(client, idle_seconds=idle_seconds, lock_seconds=30,
                      wait_seconds=wait_seconds)


def custom_data():
    points = np.random.RandomState(3).normal(size=(60, 2)) * 5
    return datasets.make_custom(points.tolist(), [i % 3 for i in range(60)])


SESSIONS = {
    "mouse, random": lambda: Session(datasets.load("mouse", {"random_state": 0}), 3, "random", 1),
    "blobs with an emptied cluster": lambda: Session(
        datasets.load("blobs", _defaults("blobs", centers=2)), 6, "random_partition", 0),
    "custom points, manual init": lambda: Session(custom_data(), 3, "manual", 0),
    "mnist in 2 components": lambda: Session(
        datasets.load("mnist", {"pca_components": 2}), 10, "kmeans++", 5),
}


def _defaults(name, **params):
    return {key: spec["default"] for key, spec in datasets.CATALOG[name]["params"].items()} | params


def round_trip(session):
    return from_record(to_record(session))


# --- Records -----------------------------------------------------------------------

@pytest.mark.parametrize("make", SESSIONS.values(), ids=SESSIONS)
def test_a_session_read_back_from_its_record_is_the_same_at_every_step(make):
    session = make()
    if session.init == "manual":
        session.initialize(session.data.view[:3].tolist())
    for _ in range(40):
        assert round_trip(session).state(with_points=True) == session.state(with_points=True)
        session.step()
    restored = round_trip(session)
    session.back()
    restored.back()
    assert restored.state() == session.state()


def test_every_field_of_a_step_survives_its_record():
    step = Step("update", centroids=np.arange(6.0).reshape(3, 2), inertia=1.5, changed=3,
                shift=0.25, relocations=((1, 7), (2, 9)), stopped=True)
    session = SESSIONS["mouse, random"]()
    session.steps = [step]
    restored = round_trip(session).steps[0]
    for field in dataclasses.fields(Step):
        original, read = getattr(step, field.name), getattr(restored, field.name)
        if isinstance(original, np.ndarray):
            np.testing.assert_array_equal(read, original)
            assert read.dtype == original.dtype
        else:
            assert read == original, field.name


def test_a_generated_data_set_is_kept_as_its_name_and_parameters_not_its_points():
    data = datasets.load("blobs", _defaults("blobs", n_samples=2000))
    session = Session(data, 4, "kmeans++", 0)
    session.run(max_iter=20)
    record = to_record(session)
    # Labels are one byte a point; the points themselves would be sixteen.
    assert len(record) < data.n_samples + 4096 < data.view.nbytes
    assert from_record(record).data is data


def test_a_custom_data_set_is_kept_as_its_bytes_and_rebuilt_once():
    session = Session(custom_data(), 3, "random", 0)
    record = to_record(session)
    first, second = from_record(record), from_record(record)
    assert first.data is second.data
    np.testing.assert_array_equal(first.data.view, session.data.view)
    assert first.data.truth_names == session.data.truth_names


def test_a_record_holds_numbers_only_and_says_what_is_wrong_with_a_bad_one():
    record = to_record(SESSIONS["mouse, random"]())
    length = int.from_bytes(record[4:8], "big")
    header = json.loads(record[8:8 + length])
    header["arrays"] = [["|O", [1]]]
    text = json.dumps(header).encode()
    with pytest.raises(ValueError, match="only numbers, not dtype='|O'"):
        from_record(record[:4] + len(text).to_bytes(4, "big") + text + b"\0" * 8)
    with pytest.raises(ValueError, match="not a session record"):
        from_record(b"\x80\x04pickle")


# --- The store -----------------------------------------------------------------------

def test_a_session_put_is_got_back_and_deleted(client):
    store = make_store(client)
    session = SESSIONS["mouse, random"]()
    session.run(max_iter=3)
    store.put(session)
    assert store.get(session.id).state() == session.state()
    assert store.delete(session.id) is True
    assert store.get(session.id) is None and store.delete(session.id) is False


def test_every_use_of_a_session_starts_its_idle_expiry_again(client):
    store = make_store(client, idle_seconds=600)
    session = SESSIONS["mouse, random"]()
    store.put(session)
    key = f"kmeans:session:{session.id}"
    assert 590_000 < client.pttl(key) <= 600_000
    client.pexpire(key, 1000)
    store.get(session.id)
    assert client.pttl(key) > 590_000
    client.pexpire(key, 1000)
    with store.lock(session.id):
        assert client.pttl(key) > 590_000


def test_a_session_held_on_one_server_is_refused_on_another_that_cannot_wait(client):
    first, second = make_store(client), make_store(client, wait_seconds=0)
    with first.lock("s1"):
        with pytest.raises(SessionBusy, match="busy with another step") as refusal:
            with second.lock("s1"):
                pass
        assert refusal.value.status == 503
        with second.lock("another session"):
            pass
    with second.lock("s1"):
        pass
    assert client.keys("kmeans:lock:*") == []


def test_a_step_that_outlived_its_lock_is_not_saved_over_the_next_one(client):
    first, second = make_store(client), make_store(client)
    session = SESSIONS["mouse, random"]()
    first.put(session)
    lock_key = f"kmeans:lock:{session.id}"
    with ExitStack() as second_step:
        with pytest.raises(SessionBusy, match="not saved"):
            with first.lock(session.id):
                client.delete(lock_key)  # as if it had expired
                second_step.enter_context(second.lock(session.id))
                session.step()
                first.put(session)
        assert client.get(lock_key) is not None  # first did not give back second's lock
    assert second.get(session.id).steps == []


def step_and_save(store, session_id):
    with store.lock(session_id):
        session = store.get(session_id)
        session.step()
        store.put(session)
    return session


def test_the_session_a_worker_saved_is_used_again_for_its_next_step_not_decoded(client):
    store = make_store(client)
    session = SESSIONS["mouse, random"]()
    store.put(session)
    saved = step_and_save(store, session.id)
    with store.lock(session.id):
        assert store.get(session.id) is saved


def test_a_session_changed_on_another_server_is_read_from_its_record(client):
    first, second = make_store(client), make_store(client)
    session = SESSIONS["mouse, random"]()
    first.put(session)
    kept_by_first = step_and_save(first, session.id)
    step_and_save(second, session.id)
    with first.lock(session.id):
        current = first.get(session.id)
    assert current is not kept_by_first
    assert [step.kind for step in current.steps] == ["init", "assign"]


def test_a_step_not_saved_leaves_nothing_behind_for_the_next(client):
    store = make_store(client)
    session = SESSIONS["mouse, random"]()
    store.put(session)
    step_and_save(store, session.id)
    with store.lock(session.id):
        store.get(session.id).step()  # changed, then refused, say: never put
    with store.lock(session.id):
        assert [step.kind for step in store.get(session.id).steps] == ["init"]


def test_racing_steps_from_two_servers_are_all_kept_in_order(client):
    stores = [make_store(client), make_store(client)]
    session = Session(datasets.load("uniform", _defaults("uniform", n_samples=2000)), 30,
                      "random", 0)
    stores[0].put(session)
    start = threading.Barrier(8)

    def click(store):
        start.wait()
        for _ in range(5):
            with store.lock(session.id):
                current = store.get(session.id)
                current.step()
                store.put(current)

    threads = [threading.Thread(target=click, args=(stores[i % 2],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for _ in range(40):
        session.step()
    assert not session.converged
    assert stores[1].get(session.id).state() == session.state()


def test_steps_are_counted_per_session_across_servers_and_refused_past_the_limit(client):
    first, second = make_store(client), make_store(client)
    limit = StepLimit(amount=3, seconds=60)
    sessions = [SESSIONS["mouse, random"]() for _ in range(2)]
    for session in sessions:
        first.put(session)
    for store in (first, second, first):
        with store.lock(sessions[0].id, limit):
            pass
    with pytest.raises(TooManySteps) as refusal:
        with second.lock(sessions[0].id, limit):
            pytest.fail("a step past the limit took the lock")
    assert refusal.value.status == 429
    assert 0 < int(refusal.value.headers["Retry-After"]) <= 60
    assert client.keys("kmeans:lock:*") == []
    with second.lock(sessions[1].id, limit):  # another session counts on its own
        pass
    with second.lock("no such session", limit):  # counts nothing, keeps nothing
        pass
    assert sorted(client.keys("kmeans:steps:*")) == sorted(
        f"kmeans:steps:{session.id}".encode() for session in sessions)
    assert 58_000 < client.pttl(f"kmeans:steps:{sessions[0].id}") <= 60_000


def test_a_step_waiting_for_the_lock_is_counted_once(client):
    first, second = make_store(client), make_store(client)
    session = SESSIONS["mouse, random"]()
    first.put(session)

    def step():
        with second.lock(session.id, StepLimit(amount=3, seconds=60)):
            pass

    waiter = threading.Thread(target=step)
    with first.lock(session.id):
        waiter.start()
        while client.get(f"kmeans:steps:{session.id}") is None:
            time.sleep(0.001)
        time.sleep(0.1)  # the waiter polls the held lock many times meanwhile
    waiter.join()
    assert client.get(f"kmeans:steps:{session.id}") == b"1"


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


def test_when_redis_cannot_be_reached_every_store_error_is_a_503_in_the_json_shape():
    app = create_app({"TESTING": True, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    api = app.test_client()
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


def test_with_redis_away_the_rate_limits_let_requests_through_and_say_so_in_one_line(caplog):
    app = create_app({"TESTING": True, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    api = app.test_client()
    for _ in range(3):  # let through by the limit per address, then refused by the store
        assert api.post("/api/sessions", json={"dataset": "blobs", "k": 3}).status_code == 503
    warnings = [record for record in caplog.records if record.name == "flask-limiter"]
    assert len(warnings) == 3
    for record in warnings:
        assert record.levelname == "WARNING" and not record.exc_info
        assert record.getMessage().startswith("Failed to rate limit. Swallowing error: ")
        assert "\n" not in record.getMessage()


def test_a_step_on_a_session_busy_elsewhere_is_a_503_in_the_json_shape(redis_server, client):
    app = create_app({"TESTING": True, "REDIS_URL": redis_server.url})
    app.extensions["session_store"].wait_seconds = 0
    api = app.test_client()
    session_id = api.post("/api/sessions", json={"dataset": "mouse", "k": 3}).get_json()["id"]
    with make_store(client).lock(session_id):
        reply = api.post(f"/api/sessions/{session_id}/step")
    assert reply.status_code == 503
    assert reply.get_json()["error"].startswith("this session is busy with another step")
    assert api.post(f"/api/sessions/{session_id}/step").status_code == 200


def test_the_probes_answer_with_sessions_in_memory():
    api = create_app({"TESTING": True}).test_client()
    assert api.get("/healthz").get_json() == {"status": "ok"}
    assert api.get("/readyz").get_json() == {"status": "ready"}
