"""Floods, limits and headers: the answers a public teaching tool must give."""

import gc
import tracemalloc

import pytest

from app import create_app


def make_client(**config):
    return create_app({"TESTING": True, **config}).test_client()


def create(client, **environ):
    return client.post("/api/sessions", json={"dataset": "blobs", "k": 2},
                       environ_base=environ)


# --- Headers -------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/api/datasets", "/api/openapi.json", "/api/sessions/x",
                                  "/vendor/plotly.css", "/no-such-page"])
def test_every_answer_carries_the_security_headers(client, path):
    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self' 'unsafe-eval'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "*"
    assert "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "X-Frame-Options" not in response.headers
    assert "Set-Cookie" not in response.headers


def test_frame_ancestors_come_from_the_configuration():
    client = make_client(FRAME_ANCESTORS="https://moodle.school.example, https://canvas.example")
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://moodle.school.example https://canvas.example" in policy


def test_json_answers_say_they_are_json_and_api_answers_are_not_cached(api, client):
    session_id = api.create()["id"]
    for response in (client.get("/api/datasets"), client.get(f"/api/sessions/{session_id}"),
                     client.post(f"/api/sessions/{session_id}/update")):
        assert response.mimetype == "application/json"
        assert response.headers["Cache-Control"] == "no-store"


def test_plotly_styles_are_served_as_a_stylesheet_so_no_inline_style_is_needed(client):
    response = client.get("/vendor/plotly.css")
    assert response.status_code == 200 and response.mimetype == "text/css"
    css = response.get_data(as_text=True)
    assert ".js-plotly-plot .plotly .modebar{position:absolute;top:2px;right:2px;}" in css
    assert ".plotly-notifier" in css and "X " not in css


# --- Rate limits ---------------------------------------------------------------------

def test_session_creation_is_limited_per_address_with_a_429_json_and_retry_after():
    client = make_client(SESSION_CREATE_LIMIT="5 per minute")
    statuses = [create(client).status_code for _ in range(6)]
    assert statuses == [201] * 5 + [429]
    refused = create(client)
    assert refused.status_code == 429
    assert refused.get_json() == {"error": "too many new sessions from this address; "
                                           "wait a moment", "status": 429}
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert create(client, REMOTE_ADDR="127.0.0.2").status_code == 201


def test_the_default_lets_a_whole_class_behind_one_address_start_300_sessions_a_minute():
    client = make_client(MAX_SESSIONS=50)
    statuses = {create(client).status_code for _ in range(300)}
    assert statuses == {201}


def test_steps_are_limited_per_session_across_all_step_endpoints():
    client = make_client(STEP_LIMIT="3 per minute")
    first = create(client).get_json()["id"]
    second = create(client).get_json()["id"]
    answers = [client.post(f"/api/sessions/{first}/{name}")
               for name in ("init", "assign", "update", "back")]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert answers[-1].get_json() == {"error": "too many steps on this session; wait a moment",
                                      "status": 429}
    assert 0 < int(answers[-1].headers["Retry-After"]) <= 60
    assert client.post(f"/api/sessions/{second}/step").status_code == 200


def test_only_a_refusal_says_when_to_come_back():
    # Counting what is left on every answer would cost two more trips to the limits' store.
    client = make_client(STEP_LIMIT="1 per minute")
    session_id = create(client).get_json()["id"]
    allowed, refused = (client.post(f"/api/sessions/{session_id}/step") for _ in range(2))
    assert allowed.status_code == 200 and "Retry-After" not in allowed.headers
    assert refused.status_code == 429 and "Retry-After" in refused.headers


def test_x_forwarded_for_is_ignored_unless_proxies_are_trusted():
    untrusting = make_client(SESSION_CREATE_LIMIT="1 per minute")
    assert create(untrusting, HTTP_X_FORWARDED_FOR="127.0.0.5").status_code == 201
    # A client cannot dodge the limit by claiming another address.
    assert create(untrusting, HTTP_X_FORWARDED_FOR="127.0.0.6").status_code == 429

    trusting = make_client(SESSION_CREATE_LIMIT="1 per minute", TRUSTED_PROXIES=1)
    assert create(trusting, HTTP_X_FORWARDED_FOR="127.0.0.5").status_code == 201
    assert create(trusting, HTTP_X_FORWARDED_FOR="127.0.0.6").status_code == 201
    assert create(trusting, HTTP_X_FORWARDED_FOR="127.0.0.6").status_code == 429


# --- Sessions: bounded in number and idle time -------------------------------------

def test_the_least_recently_used_session_goes_first_when_the_store_is_full():
    client = make_client(MAX_SESSIONS=3)
    ids = [create(client).get_json()["id"] for _ in range(3)]
    client.get(f"/api/sessions/{ids[0]}")  # used again: no longer the least recent
    newest = create(client).get_json()["id"]
    statuses = {i: client.get(f"/api/sessions/{i}").status_code for i in [*ids, newest]}
    assert statuses == {ids[0]: 200, ids[1]: 404, ids[2]: 200, newest: 200}


def test_a_flood_of_3000_session_creations_keeps_memory_bounded():
    client = make_client(MAX_SESSIONS=200, RATE_LIMITS_ENABLED=False)
    body = {"dataset": {"name": "blobs", "n_samples": 10}, "k": 2}
    for _ in range(500):  # fill the store and warm every cache first
        client.post("/api/sessions", json=body)
    gc.collect()
    tracemalloc.start()
    baseline, _ = tracemalloc.get_traced_memory()
    for _ in range(3000):  # fifteen times what the store keeps
        assert client.post("/api/sessions", json=body).status_code == 201
    gc.collect()  # count what is still held, not garbage awaiting collection
    grown, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    store = client.application.extensions["session_store"]
    assert len(store) == 200
    # 3,000 sessions of their own would take megabytes; a full store stays put.
    assert grown - baseline < 256 * 1024


def test_one_session_cannot_be_reached_through_another_id(api, client):
    mine = api.create("blobs", k=2)["id"]
    api.step(mine, "run")
    for guess in (mine[:-1], mine.upper(), mine + "A", mine[1:] + mine[0]):
        if guess != mine:
            assert client.get(f"/api/sessions/{guess}").status_code == 404
            assert client.post(f"/api/sessions/{guess}/back").status_code == 404
    assert api.show(mine)["converged"]


def test_elbow_and_restarts_are_limited_per_session_not_per_address():
    client = make_client(ANALYSIS_LIMIT="2 per minute")
    session_id = create(client).get_json()["id"]
    answers = [client.get(f"/api/sessions/{session_id}/{path}").status_code
               for path in ("elbow?k_max=2", "restarts?n=2", "elbow?k_max=2")]
    assert answers == [200, 200, 429]
    classmate = create(client).get_json()["id"]  # the same address, behind the school's NAT
    assert client.get(f"/api/sessions/{classmate}/elbow?k_max=2").status_code == 200
