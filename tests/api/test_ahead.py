"""?ahead=1: an answer that says what the next step would change, without taking it."""

import pytest

from app import create_app


@pytest.fixture
def app():
    # Runs to convergence take more steps than a session may take in a minute.
    return create_app({"TESTING": True, "RATE_LIMITS_ENABLED": False})


def ahead(client, method, path, body=None):
    response = client.open(f"{path}?ahead=1", method=method, json=body)
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


def foreseen(state):
    """The state the answer says its next step leads to."""
    return {**state, **state["next"], "next": None}


def without_next(state):
    return {key: value for key, value in state.items()
            if key not in ("next", "points", "truth", "truth_names")}


@pytest.mark.parametrize("dataset, k, init", [
    ("blobs", 4, "random"),
    ("mouse", 3, "kmeans++"),
    ({"name": "mnist", "pca_components": 2}, 10, "farthest"),
])
def test_every_step_is_what_the_answer_before_it_foretold(client, dataset, k, init):
    state = ahead(client, "POST", "/api/sessions", {"dataset": dataset, "k": k, "init": init})
    session = f"/api/sessions/{state['id']}"
    steps = 0
    while state["next"] is not None:
        expected = without_next(foreseen(state))
        state = ahead(client, "POST", f"{session}/step")
        assert without_next(state) == expected
        steps += 1
    assert state["converged"] and steps >= 3  # init, assign, update, ... the last assign


def test_the_foretold_step_is_not_taken(client, api):
    session_id = api.create("blobs", k=4)["id"]
    api.step(session_id, "init")
    answered = ahead(client, "POST", f"/api/sessions/{session_id}/assign")
    assert answered["next"]["phase"] == "updated"
    shown = api.show(session_id)
    assert shown["phase"] == "assigned" and shown["iteration"] == 0
    assert len(shown["history"]) == 2


def test_only_what_changes_is_sent_ahead(client, api):
    session_id = api.create("blobs", k=4)["id"]
    initialized = ahead(client, "POST", f"/api/sessions/{session_id}/init")
    # An assignment changes the labels, not the centroids; an update the other way round.
    assert "labels" in initialized["next"] and "centroids" not in initialized["next"]
    assigned = ahead(client, "POST", f"/api/sessions/{session_id}/assign")
    assert "centroids" in assigned["next"] and "labels" not in assigned["next"]


def test_back_reset_run_and_show_foretell_the_next_step_too(client, api):
    session_id = api.create("mouse", k=3, init="random", seed=2)["id"]
    path = f"/api/sessions/{session_id}"
    ran = ahead(client, "POST", f"{path}/run")
    assert ran["converged"] and ran["next"] is None
    backed = ahead(client, "POST", f"{path}/back")
    assert backed["next"]["converged"] is True
    shown = ahead(client, "GET", path)
    assert shown["next"] == backed["next"] and len(shown["points"]) == 500
    reset = ahead(client, "POST", f"{path}/reset")
    assert reset["next"]["phase"] == "initialized"
    assert without_next(ahead(client, "POST", f"{path}/init")) == without_next(foreseen(reset))


def test_a_manual_start_is_not_foretold(client):
    created = ahead(client, "POST", "/api/sessions", {"dataset": "blobs", "k": 2, "init": "manual"})
    assert created["next"] is None


def test_without_ahead_there_is_no_next(api):
    created = api.create("blobs", k=4)
    assert "next" not in created
    assert "next" not in api.step(created["id"], "step")


@pytest.mark.parametrize("value", ["2", "true", "", "yes"])
def test_a_bad_ahead_is_refused_and_takes_no_step(client, api, value):
    session_id = api.create("blobs", k=4)["id"]
    response = client.post(f"/api/sessions/{session_id}/step?ahead={value}")
    assert response.status_code == 400
    assert response.get_json()["error"].startswith("ahead must be 0 or 1")
    assert api.show(session_id)["phase"] == "new"


def test_a_step_sent_from_its_version_answers_no_labels_it_kept_and_a_client_has_all_it_needs(
        client):
    # As the page steps: ahead=1 and If-Match. An Update keeps the labels of the version
    # it was taken from, which the client has: its answer leaves them out. Every other
    # step that moves them sends them, and a client that keeps the labels it had when
    # they are left out always holds the server's.
    def step(name, version, **headers):
        answer = client.post(f"{session}/{name}?ahead=1", headers=headers)
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json(), answer.headers["ETag"]

    created = client.post("/api/sessions?ahead=1", json={"dataset": "mouse", "k": 3,
                                                          "init": "random"})  # 14 iterations
    session, version = f"/api/sessions/{created.get_json()['id']}", created.headers["ETag"]
    shown, left_out = created.get_json()["labels"], []
    for name in ["init", "assign", "update", "assign", "update", "back", "update", "reset",
                 "step", "step", "step"]:
        state, version = step(name, version, **{"If-Match": version})
        if "labels" in state:
            shown = state["labels"]
        else:
            left_out.append(name)
        assert shown == client.get(session).get_json()["labels"], name
    assert left_out == ["update", "update", "update", "step"]  # the last step is an Update
    # Without If-Match, or without ahead=1, an Update's answer has its labels.
    client.post(f"{session}/assign")
    assert client.post(f"{session}/update?ahead=1").get_json()["labels"] is not None
    client.post(f"{session}/assign")
    assert client.post(f"{session}/update", headers={"If-Match": "*"}).get_json()["labels"]
