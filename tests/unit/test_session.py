"""A session steps in order, undoes exactly, and refuses steps out of order."""

import numpy as np
import pytest

from app.core import datasets
from app.core.session import Session, StepRefused, new_session_id
from app.services import sessions as service
from app.services.sessions import PrecomputedSteps
from app.stores.memory import MemoryStore
from app.web import presentation


def mouse_session(**fields):
    return Session(data=datasets.load("mouse", {"random_state": 0}),
                   **{"k": 3, "init": "random", "seed": 1, **fields})


def test_steps_go_init_assign_update_assign_and_count_iterations():
    session = mouse_session()
    phases = []
    for _ in range(5):
        session.step()
        phases.append((session.phase, session.iteration))
    assert phases == [("initialized", 0), ("assigned", 0), ("updated", 1), ("assigned", 1),
                      ("updated", 2)]


def test_a_step_worked_out_ahead_is_taken_as_it_was_worked_out_and_only_then():
    # The service works out the next step when a page asks what it will do
    # (PrecomputedSteps.preview); taking that step then is free: its very record, not
    # worked out again. A session stepped otherwise since (back) works its step out
    # afresh, and equal to what it would have been.
    store, precomputed = MemoryStore(), PrecomputedSteps()
    session = mouse_session()
    store.put(session)
    found = service.step(store, precomputed, session.id, "step").found
    kinds = []
    while not found.session.converged:
        ahead = precomputed.preview(found)
        assert precomputed.preview(found) is ahead  # worked out once
        found = service.step(store, precomputed, session.id, "step").found
        kinds.append(found.session.steps[-1].kind)
        assert found.session.steps[-1] is ahead.steps[-1]
        assert found.session.labels is ahead.labels
    assert {"assign", "update"} <= set(kinds)
    fresh = mouse_session()
    store.put(fresh)
    for _ in range(4):
        found = service.step(store, precomputed, fresh.id, "step").found
    ahead = precomputed.preview(found)  # an update
    service.step(store, precomputed, fresh.id, "back")
    service.step(store, precomputed, fresh.id, "step")
    found = service.step(store, precomputed, fresh.id, "step").found
    taken, foretold = found.session.steps[-1], ahead.steps[-1]
    assert taken is not foretold and taken.kind == foretold.kind == "update"
    assert (taken.inertia, taken.shift) == (foretold.inertia, foretold.shift)
    assert np.array_equal(taken.centroids, foretold.centroids)


def test_a_copy_of_a_session_carries_no_step_worked_out_ahead():
    # A fork is a copy under a new id: it starts with nothing precomputed, and the
    # original's precomputed step is still the original's.
    store, precomputed = MemoryStore(), PrecomputedSteps()
    session = mouse_session()
    store.put(session)
    found = service.step(store, precomputed, session.id, "step").found
    ahead = precomputed.preview(found)
    forked = service.fork(store, found.session)
    assert forked.session.id != session.id and precomputed.take(forked.session.id) is None
    assert precomputed.take(session.id) is ahead


def test_back_after_every_step_restores_the_state_before_it_exactly():
    session = mouse_session()
    states = [presentation.state(session)]
    while not session.converged:
        session.step()
        states.append(presentation.state(session))
    for expected in reversed(states[:-1]):
        session.back()
        assert presentation.state(session) == expected
    assert session.phase == "new"
    with pytest.raises(StepRefused, match="nothing_to_undo"):
        session.back()


def test_run_records_every_step_and_stops_on_an_assignment_at_max_iter():
    session = mouse_session()
    session.run(max_iter=2)
    assert [step.kind for step in session.steps] == [
        "init", "assign", "update", "assign", "update", "assign"]
    session.run(max_iter=300)
    assert session.converged


def test_after_convergence_assign_update_and_step_change_nothing():
    session = mouse_session()
    session.run(max_iter=300)
    before = presentation.state(session)
    session.assign()
    session.update()
    session.step()
    assert presentation.state(session) == before


@pytest.mark.parametrize("action, message", [
    ("assign", "assign_before_init"),
    ("update", "update_before_assign"),
])
def test_steps_before_init_are_refused_saying_why(action, message):
    with pytest.raises(StepRefused, match=message):
        getattr(mouse_session(), action)()


def test_update_twice_and_assign_twice_are_refused():
    session = mouse_session()
    session.initialize()
    with pytest.raises(StepRefused, match="update_before_assign"):
        session.update()
    session.assign()
    with pytest.raises(StepRefused, match="already_assigned"):
        session.assign()
    session.update()
    with pytest.raises(StepRefused, match="already_updated"):
        session.update()


def test_init_twice_is_refused_and_reset_keeps_the_data():
    session = mouse_session()
    session.run(max_iter=3)
    with pytest.raises(StepRefused, match="already_initialized"):
        session.initialize()
    data = session.data
    session.reset()
    assert session.phase == "new" and session.labels is None and session.data is data
    session.initialize()
    assert session.phase == "initialized"


def test_manual_start_places_the_centroids_given_in_view_coordinates():
    session = mouse_session(init="manual")
    with pytest.raises(StepRefused, match="manual_needs_centroids") as refused:
        session.initialize()
    assert refused.value.details == {"k": 3}
    session.initialize([[0.2, 0.2], [0.5, 0.9], [0.8, 0.2]])
    np.testing.assert_allclose(presentation.state(session)["centroids"],
                               [[0.2, 0.2], [0.5, 0.9], [0.8, 0.2]])


def test_manual_start_on_mnist_places_centroids_on_the_view_plane():
    data = datasets.load("mnist", {"pca_components": None})
    session = Session(data=data, k=2, init="manual", seed=0)
    session.initialize([[100.0, -50.0], [-300.0, 20.0]])
    np.testing.assert_allclose(presentation.state(session)["centroids"], [[100.0, -50.0], [-300.0, 20.0]],
                               atol=1e-9)


def test_the_history_holds_the_inertia_after_every_step_and_the_trail_every_centroid_position():
    session = mouse_session()
    session.run(max_iter=300)
    state = presentation.state(session)
    assigns = [entry for entry in state["history"] if entry["step"] == "assign"]
    assert assigns[-1]["changed"] == 0 and assigns[0]["changed"] == 500
    assert len(state["trail"]) == session.iteration + 1
    assert state["trail"][-1] == state["centroids"]


def test_session_ids_are_128_bits_and_differ():
    ids = {new_session_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) == 22 for i in ids)  # 16 bytes, URL-safe base64


@pytest.mark.parametrize("init", ["random", "kmeans++", "farthest", "random_partition", "manual"])
def test_every_array_a_step_produces_is_read_only(init):
    # Copies of a session, the step worked out ahead and the caches of its JSON share
    # these arrays: changing one in place would change them all, so numpy refuses to.
    session = mouse_session(init=init)
    session.initialize([[0.0, 0.0], [1.0, 1.0], [2.0, 0.5]] if init == "manual" else None)
    produced = [session.steps[-1].centroids]
    for _ in range(3):
        session.assign()
        produced += [session.labels, session.next_update.centroids]
        session.update()
        produced.append(session.steps[-1].centroids)
    session.back()
    produced.append(session.labels)
    for array in produced:
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0
