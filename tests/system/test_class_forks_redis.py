"""The forks a class counts, with Redis: every worker's forks in one count, which every
worker reads (app/stores/redis_live.py)."""

from app import create_app


def test_forks_on_two_workers_sharing_redis_are_counted_once_each(redis_server):
    config = {"TESTING": True, "RATE_LIMITS_ENABLED": False, "REDIS_URL": redis_server.url}
    clients = [create_app(config).test_client() for _ in range(2)]
    session = clients[0].post("/api/sessions", json={"dataset": "mouse", "k": 3}).get_json()
    code = clients[0].post("/api/classes", json={"session": session["id"]}).get_json()["code"]
    for turn in range(5):
        assert clients[turn % 2].post(f"/api/classes/{code}/fork").status_code == 201
    for client in clients:
        assert client.get(f"/api/classes/{code}").get_json()["forks"] == 5
