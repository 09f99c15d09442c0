"""What every session store promises: a step changes a copy that takes the session's
place, atomically. Each tier's file takes these tests with its own ``new_store``
fixture: tests/unit/test_store.py in memory, tests/system/test_store_redis.py in Redis
against a real redis-server. ``new_store()`` gives a store as each server of a class
has it: one process has one store in memory; in Redis, every server has its own, on
the same Redis."""

import threading

import pytest

from app.core import datasets
from app.core.session import Session, StepRefused
from app.stores.base import Precondition, StaleVersion, UnknownSession
from app.web import presentation


def new_session(k=3):
    return Session(datasets.load("mouse", {"random_state": 0}), k, "random", 1)


def test_a_step_takes_the_place_of_the_session_and_what_was_read_before_stays_whole(
        new_store):
    store = new_store()
    session = new_session()
    store.put(session)
    before = store.get(session.id)
    stepped = store.apply(session.id, Session.step).session
    assert [step.kind for step in stepped.steps] == ["init"]
    assert presentation.state(new_store().get(session.id)) == presentation.state(stepped)
    assert before.steps == [] and before.phase == "new"


def test_a_step_that_fails_leaves_the_session_as_it_was(new_store):
    store = new_store()
    session = new_session()
    store.put(session)
    store.apply(session.id, Session.step)

    def step_then_fail(current):
        current.step()
        raise StepRefused("changed, then refused")

    with pytest.raises(StepRefused):
        store.apply(session.id, step_then_fail)
    for reader in (store, new_store()):
        assert [step.kind for step in reader.get(session.id).steps] == ["init"]


def test_racing_steps_on_one_session_are_all_kept_in_order(new_store):
    stores = [new_store(), new_store()]
    session = Session(datasets.load("uniform", {"n_samples": 2000, "random_state": 0}), 30,
                      "random", 0)
    stores[0].put(session)
    start = threading.Barrier(8)

    def click(store):
        start.wait()
        for _ in range(5):
            store.apply(session.id, Session.step)

    threads = [threading.Thread(target=click, args=(stores[i % 2],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for _ in range(40):
        session.step()
    assert not session.converged
    assert presentation.state(stores[1].get(session.id)) == presentation.state(session)


def test_an_unknown_session_is_a_404(new_store):
    store = new_store()
    assert store.get("no such session") is None
    with pytest.raises(UnknownSession) as unknown:
        store.apply("no such session", Session.step)
    assert unknown.value.session_id == "no such session"


def test_a_step_sent_again_from_the_version_it_saw_answers_the_version_it_made(new_store):
    store = new_store()
    session = new_session()
    store.put(session)
    precondition = Precondition(version=1, request="init")
    first = store.apply(session.id, Session.step, precondition=precondition)
    # Its answer was lost: sent again.
    again = new_store().apply(session.id, Session.step, precondition=precondition)
    assert (first.version, again.version) == (2, 2)
    assert presentation.state(again.session) == presentation.state(first.session)
    assert [step.kind for step in store.get(session.id).steps] == ["init"]
    assert store.read(session.id).version == 2


def test_a_step_from_a_version_the_session_has_left_is_refused_with_the_session_as_it_is(
        new_store):
    store = new_store()
    session = new_session()
    store.put(session)
    store.apply(session.id, Session.step, precondition=Precondition(1, "init"))
    # Another tab.
    new_store().apply(session.id, Session.step, precondition=Precondition(2, "assign"))
    with pytest.raises(StaleVersion) as stale:
        store.apply(session.id, Session.step, precondition=Precondition(2, "assign from here"))
    assert stale.value.seen_version == 2 and stale.value.current.version == 3
    assert stale.value.current.session.phase == "assigned"
    assert [step.kind for step in store.get(session.id).steps] == ["init", "assign"]
    stepped = store.apply(session.id, Session.step, precondition=Precondition(3, "update"))
    assert stepped.version == 4
