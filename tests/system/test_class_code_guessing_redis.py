"""The class-code miss limit with Redis: two apps (two workers, or two containers)
sharing one redis-server count one address's unknown codes together (app/web/live.py)."""

import itertools

import redis
from limits import parse

from app import create_app
from app.core.classroom import CODE_ALPHABET, CODE_LENGTH

GUESSER = {"REMOTE_ADDR": "198.51.100.66"}


def test_two_apps_sharing_redis_share_one_miss_count(redis_server):
    redis.Redis.from_url(redis_server.url).flushdb()
    config = {"TESTING": True, "REDIS_URL": redis_server.url,
              "CLASS_CODE_MISS_LIMIT": "6 per 10 minutes"}
    apps = [create_app(config) for _ in range(2)]
    clients = [app.test_client() for app in apps]
    session = clients[0].post("/api/sessions", json={"dataset": "blobs", "k": 3}).get_json()
    real = clients[0].post("/api/classes", json={"session": session["id"]}).get_json()["code"]
    codes = ("".join(letters) for letters in itertools.product(CODE_ALPHABET, repeat=CODE_LENGTH))
    limit = parse(config["CLASS_CODE_MISS_LIMIT"]).amount
    answers = [clients[turn % 2].get(f"/api/classes/{code}", environ_base=GUESSER).status_code
               for turn, code in zip(range(limit), (c for c in codes if c != real))]
    assert answers == [404] * limit  # half on each app: neither alone reached the limit
    for client in clients:
        refused = client.get(f"/api/classes/{real}", environ_base=GUESSER)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        assert client.get(f"/api/classes/{real}").status_code == 200  # another address
