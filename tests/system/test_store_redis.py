"""The session store in Redis, against a real redis-server, keeps every store's promises
(tests/store_contract.py)."""

import pytest
import redis

from app.stores.redis_store import RedisStore
from store_contract import *  # noqa: F403 (the promises, as tests of this file)


@pytest.fixture
def new_store(redis_server):
    """Every server of a class has its own store, on the same Redis."""
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    yield lambda: RedisStore(client, idle_seconds=600, wait_seconds=5)
    client.close()
