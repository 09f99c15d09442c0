"""k-means++ one centre at a time through the API: each pick's answer, packed or not,
told ahead, and every refusal in JSON."""

import numpy as np
import pytest

from app.core import datasets
from app.core.session import Session
from app.web import schemas


def picked_after(count):
    """A mouse session (as tests/unit/test_kmeanspp.py makes it) after ``count`` picks."""
    data = datasets.load("mouse", datasets.defaults("mouse") | {"random_state": 0})
    session = Session(data=data, k=3, init="kmeans++", seed=1)
    for _ in range(count):
        session.pick()
    return session


def test_the_pick_answer_shows_the_candidates_the_potentials_the_kept_one_and_the_chances(api):
    session = api.create("mouse", k=3, seed=1)
    assert session["picks"] is None
    first = api.step(session["id"], "pick")
    assert first["phase"] == "new" and first["next_step"] == "init" and first["can_back"]
    assert "equally likely" in first["events"][0]["message"]
    state = api.step(session["id"], "pick")
    picks = state["picks"]
    expected = picked_after(2).picks(3)
    last = expected[1]
    assert picks["picked"] == 2 and picks["indices"] == [expected[0].kept, last.kept]
    assert picks["last"]["candidates"] == last.candidates.tolist()
    assert picks["last"]["potentials"] == last.potentials.tolist()
    assert picks["last"]["kept"] == last.kept
    weights = np.array(picks["next"]["weights"])
    np.testing.assert_allclose(weights * picks["next"]["largest"],
                               expected[2].chances(490), atol=1e-3 * picks["next"]["largest"])
    chance = last.chances(490)[last.kept]
    message = state["events"][0]["message"]
    assert f"kept point {last.kept}" in message and "Far points are likelier" in message
    assert f"{100 * chance:.2g} % chance" in message
    assert picks["next"]["prompt"].startswith("Next, pick centre 3 of 3")
    schemas.State.model_validate(state)
    final = api.step(session["id"], "pick")
    assert final["phase"] == "initialized" and final["picks"]["next"] is None
    assert "All 3 centres are picked" in final["events"][0]["message"]
    schemas.State.model_validate(final)


def test_a_pick_asked_packed_sends_the_chances_in_two_bytes_a_point_and_the_same_weights(
        client):
    # 100,000 points: every point's chance goes out with each pick. As JSON, about 6 bytes
    # a point; asked with packed=1, as the page asks, uint16 counts of 1/steps: the same
    # weights, read back, in under 3 bytes a point (2 in base64's 4/3).
    from app import create_app
    from app.web.schemas import unpack

    app = create_app({"RATE_LIMITS_ENABLED": False, "MAX_POINTS": 100_000})
    big = app.test_client()
    created = big.post("/api/sessions?packed=1", json={
        "dataset": {"name": "blobs", "n_samples": 100_000, "centers": 4, "random_state": 0},
        "k": 4, "init": "kmeans++", "seed": 0}).get_json()
    path = f"/api/sessions/{created['id']}"
    as_json = big.post(f"{path}/pick")
    plain = as_json.get_json()["picks"]["next"]
    big.post(f"{path}/back")  # back to no pick, then the same pick again, packed
    answer = big.post(f"{path}/pick?packed=1")
    packed = answer.get_json()["picks"]["next"]
    assert packed["steps"] == plain["steps"] == 1000
    counts = unpack(packed["weights"])
    assert counts.dtype == np.uint16 and counts.shape == (100_000,)
    assert (counts / packed["steps"]).tolist() == plain["weights"]
    assert packed["largest"] == plain["largest"]
    assert len(answer.get_data()) < 3 * 100_000 < 5 * 100_000 < len(as_json.get_data())
    schemas.State.model_validate(answer.get_json())


def test_the_page_is_told_ahead_what_init_would_do_after_some_picks(client):
    created = client.post("/api/sessions?ahead=1", json={"dataset": "mouse", "k": 3, "seed": 1})
    sid = created.get_json()["id"]
    picked = client.post(f"/api/sessions/{sid}/pick?ahead=1", json={}).get_json()
    initialized = client.post(f"/api/sessions/{sid}/init", json={}).get_json()
    assert picked["next"]["centroids"] == initialized["centroids"]
    assert picked["next"]["picks"] is None


@pytest.mark.parametrize("body, status, message", [
    ({"centroids": [[0, 0]]}, 400, "unknown"),
    ([1, 2], 400, ""),
    ("pick", 400, ""),
])
def test_a_pick_with_a_body_is_refused_with_a_json_400(api, client, body, status, message):
    sid = api.create("mouse", k=3)["id"]
    reply = client.post(f"/api/sessions/{sid}/pick", json=body)
    assert reply.status_code == status
    answer = reply.get_json()
    assert answer["status"] == status and message in answer["error"]
    assert api.show(sid)["picks"] is None  # nothing was lost or taken


def test_a_pick_out_of_turn_or_for_another_start_or_session_is_a_clear_json_error(api, client):
    other = api.create("mouse", k=3, init="random")["id"]
    refused = api.step(other, "pick", status=409)
    assert "init='random'" in refused["error"]
    sid = api.create("mouse", k=2)["id"]
    api.step(sid, "init")
    assert "already chosen" in api.step(sid, "pick", status=409)["error"]
    assert client.post("/api/sessions/nope/pick", json={}).status_code == 404


def test_the_openapi_document_and_the_catalog_say_which_start_picks_one_at_a_time(client):
    document = client.get("/api/openapi.json").get_json()
    pick = document["paths"]["/api/sessions/{session_id}/pick"]["post"]
    assert pick["operationId"] == "pick_step" and "409" in pick["responses"]
    assert "Picks" in document["components"]["schemas"]
    starts = client.get("/api/catalog").get_json()["starts"]
    assert [start["name"] for start in starts if start["picks"]] == ["kmeans++"]


def test_the_embed_shows_the_pick_button_only_when_asked(client):
    page = client.get("/embed?controls=init,pick,step").get_data(as_text=True)
    assert 'data-action="pick"' in page and "Pick next centre" in page
    assert 'data-action="pick"' not in client.get("/embed").get_data(as_text=True)
