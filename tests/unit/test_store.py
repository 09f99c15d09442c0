"""The session store in memory keeps every store's promises (tests/store_contract.py)."""

import pytest

from app.core.session import Session
from app.stores.base import UnknownSession
from app.stores.memory import MemoryStore
from store_contract import *  # noqa: F403 (the promises, as tests of this file)
from store_contract import new_session


@pytest.fixture
def new_store():
    """One process has one store in memory."""
    store = MemoryStore()
    return lambda: store


def test_a_session_deleted_during_its_step_in_memory_stays_deleted():
    store = MemoryStore()
    session = new_session()
    store.put(session)

    def step_and_delete(current):
        current.step()
        store.delete(session.id)

    store.apply(session.id, step_and_delete)
    assert store.get(session.id) is None
    with pytest.raises(UnknownSession):
        store.apply(session.id, Session.step)
