"""The measures of a clustering as the API's state carries them (the measures themselves:
tests/unit/test_metrics.py)."""

import numpy as np
from sklearn.metrics import adjusted_rand_score


def test_the_state_carries_no_metrics_before_an_assignment_or_without_truth(api):
    created = api.create("blobs", k=4)
    assert created["metrics"] is None
    api.step(created["id"], "init")
    assert api.step(created["id"], "assign")["metrics"] is not None
    unlabelled = api.create({"name": "custom", "points": [[0, 0], [1, 1], [5, 5]]}, k=2)
    assert api.step(unlabelled["id"], "run")["metrics"] is None


def test_the_states_metrics_match_scikit_learn_and_its_labels(api):
    created = api.create("mouse", k=3, seed=2)
    state = api.step(created["id"], "run")
    found = state["metrics"]
    assert found["ari"] == adjusted_rand_score(created["truth"], state["labels"])
    table = np.array(found["contingency"])
    assert table.shape == (3, 4) and table.sum() == created["n_samples"]
    assert table.sum(axis=1).tolist() == np.bincount(state["labels"], minlength=3).tolist()
    assert found["purity"] == table.max(axis=1).sum() / table.sum()
    assert found["truth_names"] == ["head", "left ear", "right ear", "noise"]


def test_custom_labels_are_judged_too(api):
    points = [[0, 0], [0, 1], [5, 5], [5, 6]]
    created = api.create({"name": "custom", "points": points, "labels": [4, 4, 9, 9]}, k=2)
    found = api.step(created["id"], "run")["metrics"]
    assert found["ari"] == 1.0 and found["purity"] == 1.0
    assert found["truth_names"] == ["4", "9"]
    assert sorted(found["contingency"]) == [[0, 2], [2, 0]]
