"""k-means++ one centre at a time: every pick and every candidate is scikit-learn's."""

import numpy as np
import pytest
from sklearn.cluster import KMeans, kmeans_plusplus

from app.core import datasets, engine
from app.core.session import Session, StepRefused
from app.stores.records import from_record, to_record
from app.web import presentation

DATASETS = {
    "blobs": ("blobs", {"n_samples": 300, "centers": 4, "random_state": 0}),
    "stretched blobs": ("blobs", {"n_samples": 200, "centers": 3, "random_state": 2,
                                  "scale_x": 100.0}),
    "mouse": ("mouse", {"random_state": 0}),
    "uneven sizes": ("uneven_sizes", {}),
    "mnist in 10 components": ("mnist", {"pca_components": 10}),
}
SEEDS = [0, 1, 7, 42, 2024]
KS = [1, 2, 3, 7, 20]


def load(name):
    kind, params = DATASETS[name]
    defaults = {key: spec["default"] for key, spec in datasets.CATALOG[kind]["params"].items()}
    return datasets.load(kind, defaults | params)


def picked_one_at_a_time(data, k, seed):
    """A session whose Init is taken by k picks, and the pick records it drew."""
    session = Session(data=data, k=k, init="kmeans++", seed=seed)
    for _ in range(k):
        session.pick()
    return session


def greedy_kmeans_plusplus(X, k, seed):
    """Greedy k-means++ as scikit-learn publishes it (Arthur and Vassilvitskii, with
    2 + int(ln k) local trials), written plainly, with the same RandomState draws:
    the first centre uniformly, then for each next one 2 + int(ln k) candidates drawn
    with probability D² / Σ D², the one leaving the smallest Σ D² kept. Returns
    (candidates, potentials, kept) for each centre after the first, and the first."""
    random_state = np.random.RandomState(seed)
    n = X.shape[0]
    trials = 2 + int(np.log(k))
    first = random_state.choice(n, p=np.full(n, 1.0 / n))
    closest = ((X - X[first]) ** 2).sum(axis=1)
    picks = []
    for _ in range(1, k):
        draws = random_state.uniform(size=trials) * closest.sum()
        candidates = np.minimum(np.searchsorted(np.cumsum(closest), draws), n - 1)
        after = [np.minimum(closest, ((X - X[c]) ** 2).sum(axis=1)) for c in candidates]
        potentials = np.array([a.sum() for a in after])
        best = int(np.argmin(potentials))
        picks.append((candidates, potentials, int(candidates[best])))
        closest = after[best]
    return first, picks


# --- The picks are scikit-learn's -----------------------------------------------------

@pytest.mark.parametrize("name", DATASETS)
def test_each_pick_is_the_centre_sklearn_kmeans_plusplus_picks_over_seeds_and_k(name):
    data = load(name)
    for seed in SEEDS:
        for k in KS:
            session = picked_one_at_a_time(data, k, seed)
            centres, indices = kmeans_plusplus(data.X, k, random_state=seed)
            kept = [pick.kept for pick in session.picks(k)]
            assert kept == indices.tolist(), (seed, k)
            # Bit for bit: the centroids are the very rows scikit-learn returns.
            np.testing.assert_array_equal(session.centroids, centres)
            np.testing.assert_array_equal(
                session.centroids, engine.init_centroids(data.X, k, "kmeans++", seed,
                                                         data.x_squared_norms))


@pytest.mark.parametrize("trial", range(40))
def test_picks_on_arrays_of_any_shape_and_place_are_sklearns(trial):
    rng = np.random.RandomState(trial)
    n, d = rng.randint(3, 400), rng.randint(1, 6)
    X = rng.normal(size=(n, d)) * rng.uniform(0.01, 1000) + rng.uniform(-1e4, 1e4, size=d)
    k, seed = rng.randint(1, min(n, 25) + 1), rng.randint(2**31)
    kept = [pick.kept for pick in engine.kmeans_plusplus_picks(X, k, seed)]
    assert kept == kmeans_plusplus(X, k, random_state=seed)[1].tolist()


@pytest.mark.parametrize("name", ["blobs", "mouse", "uneven sizes"])
def test_candidates_and_potentials_are_those_of_greedy_kmeans_plusplus_rewritten(name):
    data = load(name)
    for seed in SEEDS:
        for k in [2, 3, 8, 20]:
            first, expected = greedy_kmeans_plusplus(data.X, k, seed)
            picks = picked_one_at_a_time(data, k, seed).picks(k)
            assert picks[0].kept == first and picks[0].candidates.tolist() == [first]
            for pick, (candidates, potentials, kept) in zip(picks[1:], expected):
                assert len(pick.candidates) == 2 + int(np.log(k))
                assert pick.candidates.tolist() == candidates.tolist(), (seed, k)
                np.testing.assert_allclose(pick.potentials, potentials, rtol=1e-9)
                assert pick.kept == kept
                assert pick.kept == pick.candidates[np.argmin(pick.potentials)]


def test_the_chances_before_a_pick_are_each_points_squared_distance_over_their_sum():
    data = load("mouse")
    picks = picked_one_at_a_time(data, 4, 3).picks(4)
    n = data.n_samples
    np.testing.assert_array_equal(picks[0].chances(n), np.full(n, 1 / n))
    for number, pick in enumerate(picks[1:], start=1):
        chosen = [p.kept for p in picks[:number]]
        distances = ((data.X[:, None, :] - data.X[chosen][None]) ** 2).sum(axis=2).min(axis=1)
        np.testing.assert_allclose(pick.chances(n), distances / distances.sum(), atol=1e-12)
        assert pick.chances(n)[chosen].max() < 1e-12  # a centre is never drawn again
        assert pick.chances(n).sum() == pytest.approx(1)


@pytest.mark.parametrize("seed", [0, 5, 11])
def test_an_init_picked_one_at_a_time_runs_as_sklearn_kmeans_and_as_one_click(seed):
    data = load("blobs")
    X = np.asarray(data.to_data(data.X))
    picked = picked_one_at_a_time(data, 4, seed)
    clicked = Session(data=data, k=4, init="kmeans++", seed=seed)
    clicked.initialize()
    partly = Session(data=data, k=4, init="kmeans++", seed=seed)
    partly.pick()
    partly.pick()
    partly.initialize()  # Init after two picks: the two others at once
    for session in (clicked, partly):
        np.testing.assert_array_equal(session.centroids, picked.centroids)
    picked.run(max_iter=300)
    reference = KMeans(4, init="k-means++", random_state=seed, n_init=1).fit(X)
    np.testing.assert_allclose(data.to_data(picked.centroids), reference.cluster_centers_,
                               rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(picked.labels, reference.labels_)


# --- Back, Reset and the stores ------------------------------------------------------

def test_back_undoes_one_pick_and_the_pick_that_was_the_init():
    session = picked_one_at_a_time(load("mouse"), 3, 1)
    assert session.phase == "initialized" and session.picking
    session.back()
    assert (session.phase, session.picked, session.centroids) == ("new", 2, None)
    assert presentation.state(session)["picks"]["next"] is not None
    session.back()
    session.back()
    assert (session.picked, session.can_back, presentation.state(session)["picks"]) == (
        0, False, None)
    with pytest.raises(StepRefused) as refused:
        session.back()
    assert refused.value.reason == "nothing_to_undo"
    session.pick()
    again = presentation.state(session)["picks"]
    assert again == presentation.state(picked_after(1))["picks"]


def picked_after(count):
    session = Session(data=load("mouse"), k=3, init="kmeans++", seed=1)
    for _ in range(count):
        session.pick()
    return session


def test_init_after_some_picks_is_undone_back_to_those_picks_and_reset_forgets_them():
    session = picked_after(1)
    session.initialize()
    assert session.phase == "initialized" and not session.picking
    assert presentation.state(session)["picks"] is None
    session.back()
    assert (session.phase, session.picked) == ("new", 1)
    session.pick()
    session.reset()
    assert (session.picked, session.can_back) == (0, False)


def test_a_step_that_picks_after_the_centroids_are_chosen_or_for_another_start_is_refused():
    session = picked_after(3)
    with pytest.raises(StepRefused) as refused:
        session.pick()
    assert refused.value.reason == "already_initialized"
    other = Session(data=load("mouse"), k=3, init="random", seed=1)
    with pytest.raises(StepRefused) as refused:
        other.pick()
    assert (refused.value.reason, refused.value.details) == (
        "picks_one_at_a_time", {"init": "random", "k": 3})


@pytest.mark.parametrize("count", [1, 2, 3])
def test_a_session_picking_is_read_back_from_its_record_as_it_was(count):
    session = picked_after(count)
    back = from_record(to_record(session))
    assert back.picked == count
    assert presentation.state(back) == presentation.state(session)
    session.back()
    back.back()
    assert presentation.state(back) == presentation.state(session)
