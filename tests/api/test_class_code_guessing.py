"""Guessing a class's join code is limited everywhere (issue 27): every endpoint that
takes a code counts the unknown codes an address asks for (``CLASS_CODE_MISS_LIMIT``),
an address past the limit is refused at all of them, real codes too, and a change
without the teacher's token is answered as an unknown code (app/web/live.py)."""

import itertools

import pytest
from limits import parse

from app import create_app
from app.core.classroom import CODE_ALPHABET, CODE_LENGTH

# The rate limits on, as served (the other API tests switch them off).
SERVED = {"TESTING": True, "CLASS_HEARTBEAT_SECONDS": 0.2}
GUESSER, CLASSROOM = "198.51.100.66", "198.51.100.7"

# Every endpoint that takes a class code, as (method, path); the pages answer in HTML.
ENDPOINTS = [
    ("GET", "/api/classes/{code}"),
    ("PATCH", "/api/classes/{code}"),
    ("DELETE", "/api/classes/{code}"),
    ("POST", "/api/classes/{code}/fork"),
    ("GET", "/api/classes/{code}/events"),
    ("GET", "/class/{code}/qr.svg"),
    ("GET", "/join/{code}"),
    ("GET", "/join?code={code}"),
    ("GET", "/class/{code}"),
]
PAGES = {"/join/{code}", "/join?code={code}", "/class/{code}"}


def served_app(**config):
    return create_app({**SERVED, **config})


def miss_limit(app):
    return parse(app.config["CLASS_CODE_MISS_LIMIT"]).amount


def unknown_codes(real):
    """Codes a guesser tries: well-formed ones that are no class, and every third one
    malformed (too short)."""
    for index, letters in enumerate(itertools.product(CODE_ALPHABET, repeat=CODE_LENGTH)):
        code = "".join(letters)
        if code != real:
            yield code[:4] if index % 3 == 0 else code


def open_class(client, **environ):
    session = client.post("/api/sessions", json={"dataset": "blobs", "k": 3},
                          environ_base=environ).get_json()
    opened = client.post("/api/classes", json={"session": session["id"]}, environ_base=environ)
    assert opened.status_code == 201, opened.get_json()
    return opened.get_json()


def ask(client, method, path, code, address=GUESSER, **kwargs):
    reply = client.open(path.format(code=code), method=method, buffered=False,
                        environ_base={"REMOTE_ADDR": address}, **kwargs)
    reply.close()  # a stream is not followed here
    return reply


def assert_refused_as_too_many(reply, path):
    assert reply.status_code == 429
    assert 0 < int(reply.headers["Retry-After"]) <= 600
    if path in PAGES:
        assert reply.mimetype == "text/html" and "Too many tries" in reply.get_data(as_text=True)
    else:
        assert reply.get_json()["status"] == 429
        assert "unknown class codes" in reply.get_json()["error"]


@pytest.mark.parametrize("method, path", ENDPOINTS)
def test_a_guesser_meets_a_429_within_a_few_dozen_unknown_codes_then_at_every_endpoint(
        method, path):
    app = served_app()
    client = app.test_client()
    real = open_class(client)
    limit = miss_limit(app)
    assert limit <= 48  # "a few dozen tries"
    guesses = unknown_codes(real["code"])
    answers = [ask(client, method, path, next(guesses)).status_code for _ in range(limit)]
    assert 429 not in answers and set(answers) <= {404}
    assert_refused_as_too_many(ask(client, method, path, next(guesses)), path)
    for other_method, other_path in ENDPOINTS:  # the real code too: the answer tells nothing
        assert_refused_as_too_many(ask(client, other_method, other_path, real["code"]),
                                   other_path)
    assert ask(client, "GET", "/api/classes/{code}", real["code"],
               address=CLASSROOM).status_code == 200  # another address is not refused


def test_a_class_of_60_behind_one_address_joins_without_a_429_typos_and_all():
    app = served_app()
    client = app.test_client()
    teacher = open_class(client, REMOTE_ADDR=CLASSROOM)
    code, token = teacher["code"], teacher["token"]
    typos = unknown_codes(code)
    statuses = []
    for student in range(60):
        if student % 4 == 0:  # a quarter of the class mistypes the code twice on the form
            statuses += [ask(client, "GET", "/join?code={code}", next(typos), CLASSROOM)
                         .status_code for _ in range(2)]
            statuses.append(ask(client, "GET", "/join?code={code}", code.lower(), CLASSROOM)
                            .status_code)
        for method, path in [("GET", "/join/{code}"), ("GET", "/api/classes/{code}/events"),
                             ("GET", "/api/classes/{code}"), ("POST", "/api/classes/{code}/fork")]:
            statuses.append(ask(client, method, path, code, CLASSROOM).status_code)
        if student % 10 == 0:  # the teacher's page and the projector, polling meanwhile
            headers = {"Authorization": f"Bearer {token}"}
            statuses += [ask(client, "GET", "/api/classes/{code}", code, CLASSROOM,
                             headers=headers).status_code,
                         ask(client, "GET", "/class/{code}", code, CLASSROOM).status_code,
                         ask(client, "GET", "/class/{code}/qr.svg", code, CLASSROOM).status_code]
    assert 429 not in statuses and statuses.count(404) == 30
    # The typos were counted: the address has only the rest of its limit left for guessing.
    left = miss_limit(app) - 30
    assert [ask(client, "GET", "/api/classes/{code}", next(typos), CLASSROOM).status_code
            for _ in range(left + 1)] == [404] * left + [429]


@pytest.mark.parametrize("method, body", [("PATCH", {"hold": True}), ("DELETE", None)])
def test_a_change_without_the_teachers_token_answers_byte_for_byte_as_an_unknown_code(
        method, body):
    client = served_app().test_client()
    live, other = open_class(client), open_class(client)
    client.delete(f"/api/classes/{other['code']}",
                  headers={"Authorization": f"Bearer {other['token']}"})  # ended
    answers = set()
    for code in ("ZZZZZZ", "not-a-code", live["code"], other["code"]):
        for token in (None, "not-the-token", other["token"] if code == live["code"] else None):
            headers = {} if token is None else {"Authorization": f"Bearer {token}"}
            reply = ask(client, method, "/api/classes/{code}", code, json=body, headers=headers)
            answers.add((reply.status_code, tuple(sorted(reply.headers.items())),
                         reply.get_data()))
    assert len(answers) == 1
    status, headers, data = answers.pop()
    assert status == 404 and ("WWW-Authenticate", "Bearer") in headers
    assert b"ZZZZZZ" not in data and live["code"].encode() not in data
    assert client.get(f"/api/classes/{live['code']}").get_json()["hold"] is False


def test_a_change_without_the_token_counts_as_a_miss_as_an_unknown_code_does():
    app = served_app()
    client = app.test_client()
    real = open_class(client)["code"]
    guesses = unknown_codes(real)
    limit = miss_limit(app)
    answers = [ask(client, "PATCH", "/api/classes/{code}", real if turn % 2 else next(guesses),
                   json={"hold": True}).status_code for turn in range(limit + 1)]
    assert answers == [404] * limit + [429]


def test_behind_a_trusted_proxy_the_limit_is_per_client_address():
    app = served_app(TRUSTED_PROXIES=1)
    client = app.test_client()
    real = open_class(client)["code"]
    guesses = unknown_codes(real)

    def ask_as(address, code):
        return ask(client, "GET", "/api/classes/{code}", code, address="10.0.0.2",
                   headers={"X-Forwarded-For": address}).status_code

    answers = [ask_as("203.0.113.5", next(guesses)) for _ in range(miss_limit(app) + 1)]
    assert answers[-1] == 429 and 429 not in answers[:-1]
    assert ask_as("203.0.113.5", real) == 429
    assert ask_as("203.0.113.6", real) == 200  # a student behind the same proxy


def test_without_a_trusted_proxy_a_forged_forwarded_for_escapes_no_limit():
    app = served_app()
    client = app.test_client()
    real = open_class(client)["code"]
    guesses = unknown_codes(real)
    answers = [ask(client, "GET", "/api/classes/{code}", next(guesses),
                   headers={"X-Forwarded-For": f"203.0.113.{turn}"}).status_code
               for turn in range(miss_limit(app) + 1)]
    assert answers[-1] == 429 and 429 not in answers[:-1]
