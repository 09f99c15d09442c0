"""The live classroom's API: codes, following read-only, forks, the teacher's token,
limits, and every error in JSON (app/web/live.py, app/stores/live.py)."""

import json
import re

import pytest

from app import create_app
from app.core.classroom import read_code

FAST = {"TESTING": True, "RATE_LIMITS_ENABLED": False, "CLASS_HEARTBEAT_SECONDS": 0.2}


def make_client(**config):
    return create_app({**FAST, **config}).test_client()


@pytest.fixture
def client():
    return make_client()


class Class:
    """A teacher's run made a class, with what a teacher and a student do to it."""

    def __init__(self, client, dataset="blobs", k=3):
        self.client = client
        self.session = client.post("/api/sessions", json={"dataset": dataset, "k": k}).get_json()
        opened = client.post("/api/classes", json={"session": self.session["id"]})
        assert opened.status_code == 201, opened.get_json()
        self.answer = opened.get_json()
        self.code, self.token = self.answer["code"], self.answer["token"]

    def step(self, name="step"):
        reply = self.client.post(f"/api/sessions/{self.session['id']}/{name}")
        assert reply.status_code == 200, reply.get_json()
        return reply.get_json()

    def teacher(self, method, path="", token=None, **kwargs):
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return self.client.open(f"/api/classes/{self.code}{path}", method=method,
                                headers=headers, **kwargs)

    def stream(self, last_event_id=None):
        headers = {} if last_event_id is None else {"Last-Event-ID": str(last_event_id)}
        reply = self.client.get(f"/api/classes/{self.code}/events", headers=headers,
                                buffered=False)
        assert reply.status_code == 200, reply.get_json()
        return Stream(reply)


class Stream:
    """A follower's open stream, read event by event (heartbeats skipped)."""

    def __init__(self, reply):
        self.reply = reply
        self.chunks = iter(reply.response)

    def next(self):
        for chunk in self.chunks:
            fields = dict(line.split(": ", 1) for line in chunk.decode().splitlines()
                          if ": " in line and not line.startswith(":"))
            if "event" in fields:
                return int(fields["id"]), fields["event"], json.loads(fields["data"])
        raise AssertionError("the stream ended")

    def close(self):
        self.reply.close()


def followed(answer):
    return {key: value for key, value in answer.items() if key not in ("id", "next")}


# --- Teaching and following --------------------------------------------------------------

def test_teaching_a_run_gives_a_code_a_token_and_links_and_nobody_else_the_token(client):
    live = Class(client)
    assert read_code(live.code) == live.code and len(live.token) >= 32
    assert live.answer["join_url"].endswith(f"/join/{live.code}")
    assert live.answer["projector_url"].endswith(f"/class/{live.code}")
    shown = client.get(f"/api/classes/{live.code}").get_json()
    assert "token" not in shown and live.session["id"] not in json.dumps(shown)
    assert shown["followers"] == 0 and shown["hold"] is False and shown["ended"] is False


def test_a_follower_gets_the_run_as_it_stands_then_each_step_as_the_teacher_got_it(client):
    live = Class(client)
    live.step()
    stream = live.stream()
    first_id, kind, data = stream.next()
    assert kind == "run" and data["state"]["phase"] == "initialized"
    assert data["state"]["points"] == live.session["points"]
    assert "id" not in data["state"]
    for _ in range(4):
        answer = live.step()
        event_id, kind, data = stream.next()
        assert kind == "step" and event_id == first_id + 1
        assert data["state"] == followed(answer)
        first_id = event_id
    stream.close()


def test_a_late_joiner_sees_the_current_step_at_once(client):
    live = Class(client)
    for _ in range(5):
        answer = live.step()
    _, kind, data = live.stream().next()
    assert kind == "run"
    assert {key: data["state"][key] for key in ("centroids", "labels", "history", "iteration")} \
        == {key: answer[key] for key in ("centroids", "labels", "history", "iteration")}


def test_a_dropped_stream_resumes_after_its_last_event_without_a_gap(client):
    live = Class(client)
    stream = live.stream()
    last, _, _ = stream.next()
    stream.close()
    missed = [live.step() for _ in range(3)]
    resumed = live.stream(last_event_id=last)
    got = [resumed.next() for _ in range(3)]
    assert [event_id for event_id, _, _ in got] == [last + 1, last + 2, last + 3]
    assert [data["state"] for _, _, data in got] == [followed(answer) for answer in missed]


def test_a_stream_resumed_from_past_the_backlog_gets_the_run_as_it_stands():
    client = make_client(CLASS_BACKLOG=2)
    live = Class(client)
    for _ in range(5):
        answer = live.step()
    event_id, kind, data = live.stream(last_event_id=1).next()
    assert kind == "run" and event_id == 5 and data["state"]["history"] == answer["history"]


def test_followers_are_counted_while_their_streams_are_open(client):
    live = Class(client)
    streams = [live.stream() for _ in range(3)]
    for stream in streams:
        stream.next()
    assert client.get(f"/api/classes/{live.code}").get_json()["followers"] == 3
    streams[0].close()
    assert client.get(f"/api/classes/{live.code}").get_json()["followers"] == 2


# --- Read-only following, the teacher's token ------------------------------------------

def test_no_event_ever_carries_the_teachers_session_id(client):
    live = Class(client)
    stream = live.stream()
    events = [stream.next()]
    live.step()
    events.append(stream.next())
    live.teacher("PATCH", json={"hold": True})
    events.append(stream.next())
    assert live.session["id"] not in json.dumps([data for _, _, data in events])


@pytest.mark.parametrize("token", [None, "not-the-token"])
@pytest.mark.parametrize("method, body", [("PATCH", {"hold": True}), ("DELETE", None)])
def test_changing_or_ending_a_class_without_the_teachers_token_is_refused_with_404(
        client, token, method, body):
    live = Class(client)
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    reply = client.open(f"/api/classes/{live.code}", method=method, json=body, headers=headers)
    assert reply.status_code == 404 and "read-only" in reply.get_json()["error"]
    assert client.get(f"/api/classes/{live.code}").get_json()["hold"] is False


def test_a_fork_is_a_session_of_its_own_that_steps_without_the_class(client):
    live = Class(client)
    live.step()
    live.step()
    forked = client.post(f"/api/classes/{live.code}/fork?ahead=1")
    assert forked.status_code == 201
    fork = forked.get_json()
    assert fork["id"] != live.session["id"] and fork["next"] is not None
    stream = live.stream()
    event_id, _, _ = stream.next()
    client.post(f"/api/sessions/{fork['id']}/step")
    client.post(f"/api/sessions/{fork['id']}/step")
    answer = live.step()
    next_id, kind, data = stream.next()  # the teacher's step, not the fork's two
    assert (next_id, kind) == (event_id + 1, "step") and data["state"] == followed(answer)


def test_a_fork_starts_from_the_teachers_data_centroids_and_history(client):
    live = Class(client)
    for _ in range(3):
        answer = live.step()
    fork = client.post(f"/api/classes/{live.code}/fork").get_json()
    for key in ("dataset", "k", "centroids", "labels", "history", "iteration", "trail"):
        assert fork[key] == answer[key], key
    assert fork["points"] == live.session["points"]


def test_a_held_class_refuses_forks_with_409_and_its_followers_are_told(client):
    live = Class(client)
    stream = live.stream()
    stream.next()
    assert live.teacher("PATCH", json={"hold": True}).get_json()["hold"] is True
    assert stream.next()[1:] == ("hold", {"hold": True})
    refused = client.post(f"/api/classes/{live.code}/fork")
    assert refused.status_code == 409 and "holds" in refused.get_json()["error"]
    live.teacher("PATCH", json={"hold": False})
    assert client.post(f"/api/classes/{live.code}/fork").status_code == 201


def test_a_teacher_opening_another_run_takes_the_class_along(client):
    live = Class(client)
    stream = live.stream()
    stream.next()
    other = client.post("/api/sessions", json={"dataset": "mouse", "k": 3}).get_json()
    assert live.teacher("PATCH", json={"session": other["id"]}).status_code == 200
    _, kind, data = stream.next()
    assert kind == "run" and data["state"]["dataset"]["name"] == "mouse"
    assert data["state"]["points"] == other["points"]
    client.post(f"/api/sessions/{other['id']}/step")
    assert stream.next()[1] == "step"
    live.step()  # the old run is no longer the class's
    assert client.get(f"/api/classes/{live.code}").status_code == 200


def test_teaching_a_run_already_taught_is_refused_with_409(client):
    live = Class(client)
    again = client.post("/api/classes", json={"session": live.session["id"]})
    assert again.status_code == 409 and live.code in again.get_json()["error"]


# --- Ending, unknown codes, the pages -----------------------------------------------------

def test_an_ended_class_tells_its_followers_and_then_says_it_ended(client):
    live = Class(client)
    stream = live.stream()
    stream.next()
    assert live.teacher("DELETE").status_code == 204
    assert stream.next()[1] == "end"
    reply = client.get(f"/api/classes/{live.code}/events")
    assert reply.status_code == 410 and reply.get_json() == {
        "error": f"class {live.code} has ended", "status": 410}
    assert client.post(f"/api/classes/{live.code}/fork").status_code == 410
    page = client.get(f"/join/{live.code}")
    assert page.status_code == 410 and f"Class {live.code} has ended" in page.get_data(as_text=True)
    live.step()  # the run goes on, as the teacher's own


def test_an_unknown_code_gets_a_clear_page_and_a_json_404(client):
    page = client.get("/join/ZZZZZZ")
    assert page.status_code == 404 and "No class with the code" in page.get_data(as_text=True)
    assert page.content_type.startswith("text/html")
    for path in ("/api/classes/ZZZZZZ", "/api/classes/ZZZZZZ/events", "/api/classes/not-a-code"):
        reply = client.get(path)
        assert reply.status_code == 404 and reply.get_json()["status"] == 404


def test_a_code_typed_on_the_start_page_opens_its_class(client):
    live = Class(client)
    typed = live.code.lower()[:3] + " " + live.code.lower()[3:]
    reply = client.get("/join", query_string={"code": typed})
    assert reply.status_code == 302 and reply.headers["Location"] == f"/join/{live.code}"
    page = client.get(reply.headers["Location"])
    assert page.status_code == 200 and 'id="plot"' in page.get_data(as_text=True)
    assert client.get("/join", query_string={"code": "nope"}).status_code == 404


def test_the_projector_view_shows_the_code_link_and_an_svg_qr_code_under_the_csp(client):
    live = Class(client)
    page = client.get(f"/class/{live.code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and live.answer["join_url"] in html
    assert f"/class/{live.code}/qr.svg" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html) and " style=" not in html
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]
    qr = client.get(f"/class/{live.code}/qr.svg")
    svg = qr.get_data(as_text=True)
    assert qr.mimetype == "image/svg+xml" and svg.startswith("<svg")
    assert "style" not in svg and "<script" not in svg and live.answer["join_url"] in svg


# --- Bad input and limits ---------------------------------------------------------------

@pytest.mark.parametrize("body, status, message", [
    ({}, 400, 'session is required: the id of the run to teach, {"session": "..."}'),
    ({"session": 3}, 400, "session must be the id of a run (a string), got 3"),
    ({"session": "nope"}, 404, "no session 'nope'"),
    ({"session": "x", "extra": 1}, 400,
     "unknown field 'extra' in the body; expected some of ['session']"),
])
def test_teaching_without_a_run_is_refused_in_json(client, body, status, message):
    reply = client.post("/api/classes", json=body)
    assert reply.status_code == status and reply.get_json()["status"] == status
    assert reply.get_json()["error"].startswith(message)


@pytest.mark.parametrize("body, status, message", [
    ({"hold": "yes"}, 400, 'hold must be true or false, got "yes"'),
    ({"session": 7}, 400, "session must be the id of a run (a string), got 7"),
    ({"colour": "red"}, 400, "unknown field 'colour' in the body; expected some of ['hold', "
                             "'session']"),
    ({"session": "no-such-session"}, 404, "no session 'no-such-session'"),
])
def test_a_bad_change_is_refused_in_json(client, body, status, message):
    live = Class(client)
    reply = live.teacher("PATCH", json=body)
    assert reply.status_code == status and reply.get_json()["error"].startswith(message)
    assert client.get(f"/api/classes/{live.code}").get_json()["hold"] is False


def test_a_bad_last_event_id_is_a_400(client):
    live = Class(client)
    reply = client.get(f"/api/classes/{live.code}/events", headers={"Last-Event-ID": "abc"})
    assert reply.status_code == 400 and "Last-Event-ID" in reply.get_json()["error"]


def test_classes_past_the_limit_are_refused_with_503():
    client = make_client(MAX_CLASSES=1)
    Class(client)
    session = client.post("/api/sessions", json={"dataset": "blobs", "k": 3}).get_json()
    reply = client.post("/api/classes", json={"session": session["id"]})
    assert reply.status_code == 503 and "Retry-After" in reply.headers
    assert "1 classes are live" in reply.get_json()["error"]


def test_followers_past_the_limit_are_refused_with_503():
    client = make_client(MAX_FOLLOWERS=2)
    live = Class(client)
    streams = [live.stream() for _ in range(2)]
    for stream in streams:
        stream.next()
    reply = client.get(f"/api/classes/{live.code}/events")
    assert reply.status_code == 503 and "2 students follow" in reply.get_json()["error"]
    streams[0].close()
    live.stream().next()


def test_the_step_answer_is_the_same_whether_or_not_the_run_is_taught(client):
    alone = client.post("/api/sessions", json={"dataset": "blobs", "k": 3}).get_json()
    live = Class(client)
    for _ in range(3):
        mine = client.post(f"/api/sessions/{alone['id']}/step?ahead=1").get_json()
        taught = client.post(f"/api/sessions/{live.session['id']}/step?ahead=1").get_json()
        assert followed(mine) == followed(taught) and mine["next"] == taught["next"]


def test_the_class_counts_the_runs_forked_from_it(client):
    live = Class(client)
    assert client.get(f"/api/classes/{live.code}").get_json()["forks"] == 0
    for _ in range(2):
        assert client.post(f"/api/classes/{live.code}/fork").status_code == 201
    assert client.get(f"/api/classes/{live.code}").get_json()["forks"] == 2
    assert live.teacher("PATCH", json={"hold": True}).get_json()["forks"] == 2


def test_a_followers_page_labels_the_pick_button_as_the_start_page_does(client):
    """/join/CODE is the stepper page: its Pick next centre button has its words (an empty
    button had no accessible name)."""
    lesson = Class(client)
    pick = re.compile(r'<button[^>]*data-action="pick"[^>]*>([^<]*)</button>')
    on_start_page = pick.search(client.get("/").get_data(as_text=True)).group(1)
    assert on_start_page.strip()
    assert pick.search(client.get(f"/join/{lesson.code}").get_data(as_text=True)).group(1) == on_start_page
