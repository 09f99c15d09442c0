"""100,000 points: the limit, packed arrays in answers (?packed=1), and a session's memory."""

import numpy as np
import pytest

from app import create_app
from app.settings import BY_NAME
from app.stores import records
from app.web.schemas import unpack

MAX_POINTS = BY_NAME["KMEANS_MAX_POINTS"].default
STEPS = ("init", "assign", "update", "assign", "update", "assign")


@pytest.fixture(scope="module")
def client():
    # A 100,000-point session is made once for the module: it steps faster than the limit.
    return create_app({"TESTING": True, "RATE_LIMITS_ENABLED": False}).test_client()


@pytest.fixture(scope="module")
def large(client):
    """Two sessions alike on as many blobs as the default limit allows, one asked for
    packed answers, one for lists, and their answers to the same steps: [(plain,
    packed)], the creation first. Returns the packed one's id too."""
    body = {"dataset": {"name": "blobs", "n_samples": MAX_POINTS, "centers": 12}, "k": 12}
    packed = client.post("/api/sessions?ahead=1&packed=1", json=body)
    plain = client.post("/api/sessions?ahead=1", json=body)
    assert packed.status_code == plain.status_code == 201, packed.get_json()
    ids = [answer.get_json()["id"] for answer in (plain, packed)]
    answers = [(plain.get_json(), packed)]
    for name in STEPS:
        plain, packed = (client.post(f"/api/sessions/{session_id}/{name}?ahead=1{asked}")
                         for session_id, asked in zip(ids, ("", "&packed=1")))
        assert packed.status_code == plain.status_code == 200, packed.get_json()
        answers.append((plain.get_json(), packed))
    return ids[1], answers


def unpacked(value):
    return None if value is None else unpack(value).tolist()


def test_the_default_limit_takes_100000_generated_points(client, large):
    assert client.get("/api/catalog").get_json()["limits"]["points"]["maximum"] == MAX_POINTS
    plain, _ = large[1][0]
    assert plain["n_samples"] == MAX_POINTS == len(plain["points"])


def test_packed_labels_classes_and_next_labels_read_back_as_the_json_lists(large):
    _, answers = large
    for plain, packed in answers:
        packed = packed.get_json()
        assert unpacked(packed["labels"]) == plain["labels"]
        assert (unpacked((packed["next"] or {}).get("labels"))
                == (plain["next"] or {}).get("labels"))
        assert {key for key in packed if key != "id"} == set(plain) - {"id"}
    created, plain = answers[0][1].get_json(), answers[0][0]
    assert unpacked(created["truth"]) == plain["truth"]
    assert created["points"]["dtype"] == "float32"
    np.testing.assert_array_equal(unpack(created["points"]),
                                  np.float32(plain["points"]))
    assert created["labels"] is None and "labels" not in created["next"]  # Init assigns none


def test_a_step_carries_about_a_byte_and_a_third_a_label_two_with_the_look_ahead(large):
    _, answers = large
    rest = 8192  # centroids, their trail, history, metrics, events: a few KiB
    sizes = {name: len(packed.get_data()) for name, (_, packed) in zip(("create", *STEPS), answers)}
    plain_size = len(answers[2][1].get_data()), len(str(answers[2][0]["labels"]))
    # An assignment's answer: its labels; the update it foretells changes none.
    assert sizes["assign"] <= 1.34 * MAX_POINTS + rest
    # An update's answer foretells the next assignment: its labels too.
    assert sizes["update"] <= 2.67 * MAX_POINTS + rest
    # An assign and an update, what one iteration costs the page: 2 bytes a point.
    assert sizes["assign"] + sizes["update"] <= 2 * (2 * MAX_POINTS + rest)
    assert plain_size[1] > 2.5 * MAX_POINTS  # as a JSON list, 3 characters a label


def test_a_custom_data_sets_points_come_back_packed_exactly(client):
    points = np.random.default_rng(0).normal(size=(500, 2)) * 1e3
    body = {"dataset": {"name": "custom", "points": points.tolist(),
                        "labels": [i % 300 for i in range(500)]}, "k": 3}
    created = client.post("/api/sessions?packed=1", json=body).get_json()
    assert created["points"]["dtype"] == "float64" and created["points"]["shape"] == [500, 2]
    np.testing.assert_array_equal(unpack(created["points"]), points)
    assert created["truth"]["dtype"] == "uint16"  # 300 classes: more than a byte holds
    plain = client.get(f"/api/sessions/{created['id']}").get_json()
    assert unpacked(created["truth"]) == plain["truth"]


@pytest.mark.parametrize("query, message", [
    ("packed=2", "packed must be 0 or 1"),
    ("packed=true", "packed must be 0 or 1"),
    ("packed=1&packed=1", "packed is given 2 times in the query; give it once"),
    ("pack=1", "unknown field 'pack'"),
])
def test_a_bad_packed_is_refused_with_a_400(client, large, query, message):
    session_id, _ = large
    for response in (client.get(f"/api/sessions/{session_id}?{query}"),
                     client.post(f"/api/sessions/{session_id}/back?{query}")):
        assert response.status_code == 400
        assert message in response.get_json()["error"]


def test_a_sessions_memory_is_a_few_kib_plus_a_byte_a_label(client, large):
    session_id, _ = large
    session = client.application.extensions["session_store"].get(session_id)
    assert session.labels.dtype == np.uint8 and session.labels.nbytes == MAX_POINTS
    per_point = [array for step in session.steps for array in vars_of(step)
                 if isinstance(array, np.ndarray) and array.size >= MAX_POINTS]
    assert per_point == []  # the history keeps centroids and numbers, never labels
    history = sum(array.nbytes for step in session.steps for array in vars_of(step)
                  if isinstance(array, np.ndarray))
    assert history <= 4096
    # As Redis keeps it: the labels packed, the data set by its name and parameters.
    assert len(records.to_record(session)) <= MAX_POINTS + 4096


def vars_of(step):
    return [getattr(step, name) for name in step.__slots__]
