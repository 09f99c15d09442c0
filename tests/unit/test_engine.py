"""The engine and a session's steps agree with scikit-learn's KMeans, step by step."""

import numpy as np
import pytest
from sklearn.cluster import KMeans, kmeans_plusplus

from app.core import datasets, engine
from app.core.session import Session
from app.web import presentation

BLOBS = dict(n_samples=100, centers=4, cluster_std=0.5, random_state=0, scale_x=1.0,
             standardize=False)
WIDE_BLOBS = dict(n_samples=400, centers=6, cluster_std=1.5, random_state=3, scale_x=1.0,
                  standardize=False)
NOTEBOOK_MEANS = [[-1.47935679, 3.11716896], [-1.26811733, 7.76378266],
                  [1.99186903, 0.96561071], [0.92578447, 4.32475792]]

DATASETS = {
    "blobs": ("blobs", BLOBS),
    "wide_blobs": ("blobs", WIDE_BLOBS),
    "scaled_blobs": ("blobs", {**BLOBS, "scale_x": 100.0}),
    "mouse": ("mouse", {"random_state": 0}),
    "mnist_10": ("mnist", {"pca_components": 10}),
    "mnist_raw": ("mnist", {"pca_components": None}),
}


def load(name):
    kind, params = DATASETS[name]
    return datasets.load(kind, params)


def data_coordinates(data):
    return np.asarray(data.to_data(data.X))


def sklearn_lloyd(X, start, max_iter):
    return KMeans(n_clusters=len(start), init=start, n_init=1, max_iter=max_iter, tol=0,
                  algorithm="lloyd").fit(X)


def assert_agrees(session, reference):
    data = session.data
    np.testing.assert_allclose(data.to_data(session.centroids), reference.cluster_centers_,
                               rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(session.labels, reference.labels_)
    np.testing.assert_allclose(session.steps[-1].inertia, reference.inertia_, rtol=1e-9)


@pytest.mark.parametrize("name", list(DATASETS))
@pytest.mark.parametrize("init", ["random", "kmeans++", "farthest", "random_partition"])
@pytest.mark.parametrize("seed", [0, 7])
def test_every_update_agrees_with_sklearn_lloyd_from_the_same_start(name, init, seed):
    data = load(name)
    k = 5
    session = Session(data=data, k=k, init=init, seed=seed)
    session.initialize()
    start = data.to_data(session.centroids)
    for t in (1, 2, 3, 6):
        session.reset()
        session.initialize()
        session.run(max_iter=t)
        assert session.phase == "assigned"
        assert_agrees(session, sklearn_lloyd(data_coordinates(data), start, t))


@pytest.mark.parametrize("name", ["blobs", "wide_blobs", "mouse"])
@pytest.mark.parametrize("seed", [0, 1, 8, 42])
def test_kmeans_plusplus_run_to_convergence_equals_sklearn_kmeans(name, seed):
    data = load(name)
    session = Session(data=data, k=4, init="kmeans++", seed=seed)
    session.run(max_iter=300)
    assert session.converged
    reference = KMeans(4, random_state=seed).fit(data_coordinates(data))
    np.testing.assert_allclose(data.to_data(session.centroids), reference.cluster_centers_,
                               rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(session.labels, reference.labels_)


@pytest.mark.parametrize("name", list(DATASETS))
@pytest.mark.parametrize("seed", [0, 5])
def test_kmeans_plusplus_start_is_sklearns_kmeans_plusplus(name, seed):
    data = load(name)
    ours = engine.init_centroids(data.X, 6, "kmeans++", seed, data.x_squared_norms)
    theirs, _ = kmeans_plusplus(data_coordinates(data), 6, random_state=seed)
    np.testing.assert_allclose(data.to_data(ours), theirs, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("seed", [0, 3, 11])
def test_random_start_is_the_points_kmeans_random_starts_from(seed):
    data = load("mouse")
    ours = engine.init_centroids(data.X, 5, "random", seed)
    n = data.n_samples
    chosen = np.random.RandomState(seed).choice(n, 5, replace=False, p=np.full(n, 1 / n))
    np.testing.assert_array_equal(ours, data.X[chosen])
    assert len(np.unique(chosen)) == 5


def test_farthest_first_takes_each_time_the_point_farthest_from_all_chosen():
    data = load("wide_blobs")
    centroids = engine.init_centroids(data.X, 6, "farthest", 2)
    for j in range(1, 6):
        distance = ((data.X[:, None, :] - centroids[None, :j, :]) ** 2).sum(axis=2).min(axis=1)
        np.testing.assert_array_equal(centroids[j], data.X[np.argmax(distance)])
    first = engine.init_centroids(data.X, 1, "farthest", 2)
    np.testing.assert_array_equal(first[0], data.X[np.random.RandomState(2).randint(400)])


def test_random_partition_starts_from_the_means_of_a_partition_with_no_empty_cluster():
    data = load("blobs")
    centroids = engine.init_centroids(data.X, 4, "random_partition", 5)
    labels = np.random.RandomState(5).permutation(np.arange(100) % 4)
    expected = np.array([data.X[labels == j].mean(axis=0) for j in range(4)])
    np.testing.assert_allclose(centroids, expected, rtol=1e-12, atol=1e-12)
    assert not np.isnan(centroids).any()


def test_different_seeds_give_different_starts_and_the_same_seed_the_same():
    data = load("mouse")
    for method in ("random", "kmeans++", "farthest", "random_partition"):
        a = engine.init_centroids(data.X, 3, method, 1, data.x_squared_norms)
        b = engine.init_centroids(data.X, 3, method, 1, data.x_squared_norms)
        c = engine.init_centroids(data.X, 3, method, 2, data.x_squared_norms)
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c), method


def test_the_notebook_blobs_converge_to_the_notebooks_means_in_todays_sklearn_order():
    data = datasets.load("blobs", BLOBS)
    session = Session(data=data, k=4, init="kmeans++", seed=8)
    session.run(max_iter=300)
    ours = data.to_data(session.centroids)
    today = KMeans(4, random_state=8).fit(data_coordinates(data)).cluster_centers_
    np.testing.assert_allclose(ours, today, atol=1e-9)
    order = [int(np.argmin(((np.array(NOTEBOOK_MEANS) - c) ** 2).sum(axis=1))) for c in ours]
    assert sorted(order) == [0, 1, 2, 3]
    np.testing.assert_allclose(ours, np.array(NOTEBOOK_MEANS)[order], atol=1e-6)


# A cluster that empties: the far centroid wins no point on the first assignment.
EMPTY_X = np.array([[0.0, 0.0], [0.0, 1.0], [0.0, 3.0], [10.0, 0.0], [10.0, 1.0]])
EMPTY_START = np.array([[0.0, 0.5], [10.0, 0.5], [100.0, 100.0]])


@pytest.mark.parametrize("t", [1, 2, 3])
def test_an_empty_cluster_moves_to_the_farthest_point_as_in_sklearn(t):
    data = datasets.make_custom(EMPTY_X.tolist())
    session = Session(data=data, k=3, init="manual", seed=0)
    session.initialize(EMPTY_START.tolist())
    session.run(max_iter=t)
    assert_agrees(session, sklearn_lloyd(EMPTY_X, EMPTY_START, t))
    assert not np.isnan(session.centroids).any()


def test_an_empty_cluster_is_told_in_words_a_student_understands():
    data = datasets.make_custom(EMPTY_X.tolist())
    session = Session(data=data, k=3, init="manual", seed=0)
    session.initialize(EMPTY_START.tolist())
    session.assign()
    session.update()
    relocated = [event for event in presentation.events(session)
                 if event["type"] == "empty_cluster"]
    assert relocated == [{
        "type": "empty_cluster", "cluster": 2, "point": 2,
        "message": "Cluster 2 had no points, so its centroid jumped to point 2, the point "
                   "farthest from its own centroid (scikit-learn's rule).",
    }]
    np.testing.assert_array_equal(data.to_data(session.centroids)[2], EMPTY_X[2])


def test_more_clusters_than_distinct_points_never_gives_nan():
    data = datasets.make_custom([[1.0, 1.0]] * 4 + [[2.0, 2.0]] * 2)
    session = Session(data=data, k=4, init="random", seed=0)
    session.run(max_iter=50)
    assert session.converged
    assert np.isfinite(session.centroids).all()
    assert session.steps[-1].inertia == pytest.approx(0.0, abs=1e-12)


def test_ties_go_to_the_lowest_centroid_index():
    X = np.array([[0.0, 0.0], [2.0, 0.0]])
    centroids = np.array([[1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    labels, inertia = engine.assign(X, centroids)
    np.testing.assert_array_equal(labels, [0, 0])
    assert inertia == pytest.approx(4.0)


def test_an_update_never_raises_the_inertia_and_reports_it_for_the_new_centroids():
    data = load("mouse")
    session = Session(data=data, k=3, init="random", seed=4)
    session.run(max_iter=3)
    inertias = [step.inertia for step in session.steps[1:]]
    assert all(b <= a + 1e-9 for a, b in zip(inertias, inertias[1:]))
    # steps end with assign, update, assign: the update moved the centroids the
    # first of those assigned to, and reports its labels against the new ones.
    *_, assigned, updated, _ = session.steps
    assert (assigned.kind, updated.kind) == ("assign", "update")
    before = session._centroids_before(len(session.steps) - 3)
    labels, _ = engine.assign(data.X, before)
    direct = ((data.X - session.centroids[labels]) ** 2).sum()
    assert updated.inertia == pytest.approx(direct, rel=1e-9)
    assert updated.inertia <= assigned.inertia


def test_converged_means_an_assignment_changed_no_label():
    data = load("blobs")
    session = Session(data=data, k=4, init="kmeans++", seed=8)
    session.run(max_iter=300)
    assert session.steps[-1].kind == "assign" and session.steps[-1].changed == 0
    assert all(step.changed > 0 for step in session.steps[:-1] if step.kind == "assign")


@pytest.mark.parametrize("init, seed", [("kmeans++", 0), ("random", 3)])
def test_points_of_more_than_two_coordinates_converge_as_sklearn_kmeans_on_them(init, seed):
    rows = np.random.RandomState(1).normal(size=(400, 6)) + np.repeat(np.eye(6) * 4, 67, 0)[:400]
    session = Session(data=datasets.make_custom(rows.tolist()), k=5, init=init, seed=seed)
    session.run(max_iter=300)
    assert session.converged
    reference = KMeans(5, init={"kmeans++": "k-means++"}.get(init, init), n_init=1,
                       random_state=seed, tol=0, algorithm="lloyd").fit(rows)
    np.testing.assert_allclose(session.data.to_data(session.centroids), reference.cluster_centers_,
                               rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(session.labels, reference.labels_)
