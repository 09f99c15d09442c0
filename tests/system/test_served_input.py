"""Bad input sent to the shipped server configuration (gunicorn.conf.py): every answer
under /api is JSON with a 4xx, whatever the server itself would have said."""

import http.client
import json
import socket

import pytest

from app.settings import BY_NAME
from services import Gunicorn, server_env

LIMIT = BY_NAME["KMEANS_MAX_CONTENT_LENGTH"].default
URL_LIMIT = BY_NAME["KMEANS_MAX_URL_LENGTH"].default


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with Gunicorn(tmp_path_factory.mktemp("gunicorn") / "server.log", server_env()) as served:
        yield served


def send(port, method, path, body=None, headers=None, chunks=None):
    """One request, the body whole or in chunks: (status, content type, JSON or text).

    Sent on a raw socket: a server that refuses a body before its end answers and
    closes, and the answer is read even when the rest of the body could not be sent."""
    headers = {"Host": "127.0.0.1", "Connection": "close", **(headers or {})}
    if chunks is not None:
        headers["Transfer-Encoding"] = "chunked"
        payload = [b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks] + [b"0\r\n\r\n"]
    else:
        body = body or b""
        headers["Content-Length"] = str(len(body))
        payload = [body]
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=60) as connection:
        try:
            connection.sendall(head.encode())
            for part in payload:
                connection.sendall(part)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused part-way: its answer is waiting
        response = http.client.HTTPResponse(connection)
        response.begin()
        data = response.read()
    kind = response.getheader("Content-Type", "")
    return response.status, kind, json.loads(data) if kind.startswith("application/json") \
        else data.decode(errors="replace")


JSON = {"Content-Type": "application/json"}


def test_json_nested_100000_deep_is_a_400_that_says_so(server):
    status, kind, answer = send(server.port, "POST", "/api/sessions",
                                b"[" * 100000 + b"]" * 100000, JSON)
    assert status == 400 and answer["error"].startswith("the JSON is nested too deeply")


def test_points_nested_990_deep_are_a_400_that_says_so(server):
    body = (b'{"dataset": {"name": "custom", "points": ' + b"[" * 990 + b"]" * 990
            + b'}, "k": 1}')
    status, kind, answer = send(server.port, "POST", "/api/sessions", body, JSON)
    assert status == 400 and answer["error"].startswith("the JSON is nested too deeply")


def test_a_chunked_body_over_the_limit_is_a_413(server):
    points = json.dumps([[1.5, 2.5]] * 700000).encode()  # about 10 MB
    body = b'{"dataset": {"name": "custom", "points": ' + points + b'}, "k": 2}'
    assert len(body) > LIMIT
    chunks = [body[i:i + 65536] for i in range(0, len(body), 65536)]
    status, kind, answer = send(server.port, "POST", "/api/sessions", headers=JSON,
                                chunks=chunks)
    assert status == 413 and kind.startswith("application/json")
    assert answer == {"error": f"request body too large: at most {LIMIT} bytes", "status": 413}


def test_a_valid_chunked_body_padded_past_the_limit_is_a_413_not_a_new_session(server):
    body = b'{"dataset": "blobs", "k": 3}' + b" " * LIMIT
    chunks = [body[i:i + 65536] for i in range(0, len(body), 65536)]
    status, kind, answer = send(server.port, "POST", "/api/sessions", headers=JSON,
                                chunks=chunks)
    assert status == 413 and answer["status"] == 413


def test_a_chunked_body_under_the_limit_is_taken(server):
    body = b'{"dataset": "blobs", "k": 3}'
    status, kind, answer = send(server.port, "POST", "/api/sessions", headers=JSON,
                                chunks=[body[:10], body[10:]])
    assert status == 201 and answer["k"] == 3


@pytest.mark.parametrize("path", [
    "/api/sessions/" + "a" * 10000,
    "/api/sessions/abc/elbow?k_max=" + "9" * 20000,
    "/api/datasets?" + "x" * 70000,
], ids=["session-id", "query-value", "query"])
def test_an_over_long_url_is_a_414_in_json(server, path):
    status, kind, answer = send(server.port, "GET", path)
    assert status == 414 and kind.startswith("application/json")
    assert answer == {"error": f"the URL is too long: at most {URL_LIMIT} "
                               "characters of path and query string", "status": 414}


def test_a_url_within_the_apps_limit_but_over_gunicorns_default_is_served(server):
    session_id = "b" * 6000  # gunicorn alone refuses request lines over 4094 bytes
    status, kind, answer = send(server.port, "GET", f"/api/sessions/{session_id}")
    assert status == 404 and answer["error"].startswith("no session 'bbbb")


def test_a_body_sent_as_text_is_a_415_through_gunicorn_too(server):
    status, kind, answer = send(server.port, "POST", "/api/sessions",
                                b'{"dataset": "blobs", "k": 3}', {"Content-Type": "text/plain"})
    assert status == 415 and "application/json" in answer["error"]


def test_the_server_still_answers_after_all_that(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10):
        pass
    status, kind, answer = send(server.port, "GET", "/api/datasets")
    assert status == 200 and answer["datasets"]
