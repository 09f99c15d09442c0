"""Answers written by orjson read back as the very numbers the server holds."""

import decimal
import json

import numpy as np

from app import create_app
from app.web import presentation

FLOATS = [0.1 + 0.2, 1 / 3, 1e-5, 1e20, 5e-324, 1.7976931348623157e308, -0.0, 123456.789]


def answer(app, value):
    with app.app_context():
        return app.json.response(value).get_data()


def test_every_float_reads_back_to_the_same_bits(app):
    read = json.loads(answer(app, FLOATS))
    assert [value.hex() for value in read] == [value.hex() for value in FLOATS]


def test_numpy_arrays_and_scalars_are_written_as_their_values(app):
    written = answer(app, {"centroids": np.array([[0.5, -1.25]]), "k": np.int64(4),
                           "inertia": np.float64(2.5)})
    assert json.loads(written) == {"centroids": [[0.5, -1.25]], "k": 4, "inertia": 2.5}


def test_keys_are_sorted_and_need_not_be_strings(app):
    assert answer(app, {"b": 1, "a": {2: "x", 1: "y"}}) == b'{"a":{"1":"y","2":"x"},"b":1}\n'


def test_nan_and_infinity_are_written_as_null_which_browsers_can_read(app):
    assert json.loads(answer(app, [float("nan"), float("inf")])) == [None, None]


def test_what_orjson_does_not_know_goes_through_flasks_conversions(app):
    assert json.loads(answer(app, {"price": decimal.Decimal("1.10")})) == {"price": "1.10"}


def test_a_debugging_server_indents_its_answers():
    app = create_app({"TESTING": True, "DEBUG": True})
    assert answer(app, {"a": [1]}) == b'{\n  "a": [\n    1\n  ]\n}\n'


def test_a_steps_answer_carries_the_sessions_own_numbers(client):
    created = client.post("/api/sessions", json={"dataset": "blobs", "k": 4}).get_json()
    for name in ("init", "assign", "update"):
        last = client.post(f"/api/sessions/{created['id']}/{name}").get_json()
    held = presentation.state(client.application.extensions["session_store"].get(created["id"]))
    assert last == held
    assert [value.hex() for value in np.ravel(last["trail"])] == [
        value.hex() for value in np.ravel(held["trail"])]
