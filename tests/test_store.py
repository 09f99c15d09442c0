"""The in-memory store: a step changes a copy that takes the session's place, one at a time."""

import threading

import pytest

from app import datasets
from app.session import Session, StepRefused
from app.store import MemoryStore, UnknownSession


def new_session(k=3):
    return Session(datasets.load("mouse", {"random_state": 0}), k, "random", 1)


def test_a_step_takes_the_place_of_the_session_and_what_was_read_before_stays_whole():
    store = MemoryStore()
    session = new_session()
    store.put(session)
    before = store.get(session.id)
    stepped = store.change(session.id, Session.step)
    assert store.get(session.id) is stepped
    assert [step.kind for step in stepped.steps] == ["init"]
    assert before.steps == [] and before.phase == "new"


def test_a_step_that_fails_leaves_the_session_as_it_was():
    store = MemoryStore()
    session = new_session()
    store.put(session)
    store.change(session.id, Session.step)

    def step_then_fail(current):
        current.step()
        raise StepRefused("changed, then refused")

    with pytest.raises(StepRefused):
        store.change(session.id, step_then_fail)
    assert [step.kind for step in store.get(session.id).steps] == ["init"]


def test_racing_steps_on_one_session_are_all_kept_in_order():
    store = MemoryStore()
    session = Session(datasets.load("uniform", {"n_samples": 2000, "random_state": 0}), 30,
                      "random", 0)
    store.put(session)
    start = threading.Barrier(8)

    def click():
        start.wait()
        for _ in range(5):
            store.change(session.id, Session.step)

    threads = [threading.Thread(target=click) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for _ in range(40):
        session.step()
    assert not session.converged
    assert store.get(session.id).state() == session.state()


def test_a_session_deleted_during_its_step_stays_deleted():
    store = MemoryStore()
    session = new_session()
    store.put(session)

    def step_and_delete(current):
        current.step()
        store.delete(session.id)

    store.change(session.id, step_and_delete)
    assert store.get(session.id) is None
    with pytest.raises(UnknownSession):
        store.change(session.id, Session.step)
