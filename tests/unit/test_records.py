"""Sessions kept as compact records, as the Redis store keeps them: read back the same
at every step, generated data as its name and parameters, numbers only."""

import dataclasses
import json

import numpy as np
import pytest

from app.core import datasets
from app.core.session import Session, Step
from app.stores.records import from_record, to_record
from app.web import presentation


def custom_data():
    points = np.random.RandomState(3).normal(size=(60, 2)) * 5
    return datasets.make_custom(points.tolist(), [i % 3 for i in range(60)])


SESSIONS = {
    "mouse, random": lambda: Session(datasets.load("mouse", {"random_state": 0}), 3, "random", 1),
    "blobs with an emptied cluster": lambda: Session(
        datasets.load("blobs", _defaults("blobs", centers=2)), 6, "random_partition", 0),
    "custom points, manual init": lambda: Session(custom_data(), 3, "manual", 0),
    "mnist in 2 components": lambda: Session(
        datasets.load("mnist", {"pca_components": 2}), 10, "kmeans++", 5),
}


def _defaults(name, **params):
    return {key: spec["default"] for key, spec in datasets.CATALOG[name]["params"].items()} | params


def round_trip(session):
    return from_record(to_record(session))

@pytest.mark.parametrize("make", SESSIONS.values(), ids=SESSIONS)
def test_a_session_read_back_from_its_record_is_the_same_at_every_step(make):
    session = make()
    if session.init == "manual":
        session.initialize(session.data.view[:3].tolist())
    for _ in range(40):
        assert (presentation.state(round_trip(session), with_points=True)
                == presentation.state(session, with_points=True))
        session.step()
    restored = round_trip(session)
    session.back()
    restored.back()
    assert presentation.state(restored) == presentation.state(session)


def test_every_field_of_a_step_survives_its_record():
    step = Step("update", centroids=np.arange(6.0).reshape(3, 2), inertia=1.5, changed=3,
                shift=0.25, relocations=((1, 7), (2, 9)), emptied=((0, 2, 5),),
                final_update=True, stopped=True)
    session = SESSIONS["mouse, random"]()
    session.steps = [step]
    restored = round_trip(session).steps[0]
    for field in dataclasses.fields(Step):
        original, read = getattr(step, field.name), getattr(restored, field.name)
        if isinstance(original, np.ndarray):
            np.testing.assert_array_equal(read, original)
            assert read.dtype == original.dtype
        else:
            assert read == original, field.name


def test_a_generated_data_set_is_kept_as_its_name_and_parameters_not_its_points():
    data = datasets.load("blobs", _defaults("blobs", n_samples=2000))
    session = Session(data, 4, "kmeans++", 0)
    session.run(max_iter=20)
    record = to_record(session)
    # Labels are one byte a point; the points themselves would be sixteen.
    assert len(record) < data.n_samples + 4096 < data.view.nbytes
    assert from_record(record).data is data


def test_a_custom_data_set_is_kept_as_its_bytes_and_rebuilt_once():
    session = Session(custom_data(), 3, "random", 0)
    record = to_record(session)
    first, second = from_record(record), from_record(record)
    assert first.data is second.data
    np.testing.assert_array_equal(first.data.view, session.data.view)
    assert first.data.truth_names == session.data.truth_names


def test_a_record_holds_numbers_only_and_says_what_is_wrong_with_a_bad_one():
    record = to_record(SESSIONS["mouse, random"]())
    length = int.from_bytes(record[4:8], "big")
    header = json.loads(record[8:8 + length])
    header["arrays"] = [["|O", [1]]]
    text = json.dumps(header).encode()
    with pytest.raises(ValueError, match="only numbers, not dtype='|O'"):
        from_record(record[:4] + len(text).to_bytes(4, "big") + text + b"\0" * 8)
    with pytest.raises(ValueError, match="not a session record"):
        from_record(b"\x80\x04pickle")
