"""k-means++ one centre at a time with sessions in a real redis-server."""

from app import create_app


def test_picks_go_on_the_same_with_sessions_in_redis_as_in_memory(redis_server):
    answers = []
    for config in ({}, {"REDIS_URL": redis_server.url}):
        client = create_app({"TESTING": True, "RATE_LIMITS_ENABLED": False, **config}).test_client()
        created = client.post("/api/sessions", json={"dataset": "mouse", "k": 3, "seed": 9})
        base = f"/api/sessions/{created.get_json()['id']}"
        replies = []
        for name in ("pick", "pick", "back", "pick", "pick", "back", "init", "back", "pick"):
            reply = client.post(f"{base}/{name}", json={})
            assert reply.status_code == 200, reply.get_json()
            replies.append({key: value for key, value in reply.get_json().items() if key != "id"})
        answers.append(replies)
    assert answers[0] == answers[1]
    assert [(r["picks"] or {}).get("picked") for r in answers[0]] == [1, 2, 1, 2, 3, 2, None, 2, 3]
