"""The probes a load balancer asks, with sessions in this process's memory."""

from app import create_app


def test_the_probes_answer_with_sessions_in_memory():
    api = create_app({"TESTING": True}).test_client()
    assert api.get("/healthz").get_json() == {"status": "ok"}
    assert api.get("/readyz").get_json() == {
        "status": "ready", "durable": False,
        "sessions": "sessions are kept in this process's memory: a restart of the app loses "
                    "them (set REDIS_URL to keep them in Redis)"}
