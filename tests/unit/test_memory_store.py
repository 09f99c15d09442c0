"""Sessions in memory expire when idle, and their steps are counted per window (the limits
through the API: tests/api/test_security.py)."""

import pytest

from app.stores.base import StepLimit, TooManySteps, UnknownSession
from app.stores.memory import MemoryStore


def test_an_idle_session_expires():
    now = [1000.0]
    store = MemoryStore(max_sessions=10, idle_seconds=60, clock=lambda: now[0])

    class Fake:
        id = "a"

    store.put(Fake())
    now[0] += 59
    assert store.get("a") is not None  # using it refreshes it
    now[0] += 59
    assert store.get("a") is not None
    now[0] += 61
    assert store.get("a") is None and len(store) == 0


def test_a_sessions_step_count_starts_again_with_each_window_and_goes_with_it():
    now = [1000.0]
    store = MemoryStore(clock=lambda: now[0])
    limit = StepLimit(amount=2, seconds=1)

    class Fake:
        id = "a"

        def copy(self):
            return Fake()

    def step(session_id="a"):
        store.apply(session_id, lambda session: None, limit)

    store.put(Fake())
    step(), step()
    with pytest.raises(TooManySteps) as refusal:
        step()
    assert 0 < refusal.value.seconds_left <= 1
    now[0] += 1
    step(), step()  # a new window
    for _ in range(5):
        with pytest.raises(UnknownSession):
            step("no such session")  # counts nothing
    assert set(store._windows) == {"a"}
    store.delete("a")
    assert store._windows == {}
