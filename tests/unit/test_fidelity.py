"""Every step agrees with scikit-learn's KMeans to the last bit, on data made to break it.

Small integer grids (ties everywhere), few distinct points many times over
(empty clusters that relocation cannot fill), and points far from the origin
(where ‖x‖² − 2x·c + ‖c‖² cancels): from the same manual start, after t
iterations, the centroids, labels and inertia of a session are those of
``KMeans(init=C0, n_init=1, max_iter=t, tol=0, algorithm="lloyd")``, exactly.
"""

import ast
import importlib
import re
import sys
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
import sklearn
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning

from app.core import datasets, engine, kernel
from app.core.session import Session
from app.web import presentation
from services import REPO

ITERATIONS = 3  # compared after each of the first ITERATIONS updates
RUNS = 340  # per kind of data: 1,020 runs in all
REQUIREMENTS = REPO / "requirements.txt"


def sklearn_lloyd(points, start, max_iter):
    with warnings.catch_warnings():
        # Fewer distinct clusters than k is the point of these data sets.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return KMeans(len(start), init=start, n_init=1, max_iter=max_iter, tol=0,
                      algorithm="lloyd").fit(points)


def started(points, start):
    session = Session(data=datasets.make_custom(points.tolist()), k=len(start), init="manual",
                      seed=0)
    session.initialize(start.tolist())
    session.assign()
    return session


def disagreement(session, reference):
    """What differs between a session and scikit-learn's fit, or None."""
    centroids = session.data.to_data(session.centroids)
    if not np.array_equal(centroids, reference.cluster_centers_):
        gap = np.abs(centroids - reference.cluster_centers_).max()
        return f"centroids differ by up to {gap:.3g}: {centroids} against " \
               f"{reference.cluster_centers_}"
    if not np.array_equal(session.labels, reference.labels_):
        return f"labels {session.labels} against {reference.labels_}"
    if session.steps[-1].inertia != reference.inertia_:
        return f"inertia {session.steps[-1].inertia!r} against {reference.inertia_!r}"
    return None


def run_disagreement(points, start):
    """Steps a session from ``start`` and compares it with scikit-learn after every
    iteration; what differs first, or None."""
    session = started(points, start)
    for t in range(1, ITERATIONS + 1):
        if not session.converged:
            session.update()
            session.assign()
        found = disagreement(session, sklearn_lloyd(points, start, t))
        if found:
            return f"after {t} iterations, {found}"
    return None


def inertia_rises(session, by=0.0):
    """Whether a step raised the inertia by more than ``by``, scikit-learn's last
    update left out (it keeps a relocated point in its old cluster)."""
    steps = session.steps[1:]
    return any(later.inertia > earlier.inertia + by
               for earlier, later in zip(steps, steps[1:]) if not earlier.final_update)


# --- Data made to break agreement ------------------------------------------------------

def integer_grid(rng):
    """Up to 30 points on a 5 × 5 grid, so that many are equidistant from two centroids."""
    n = rng.integers(3, 31)
    points = rng.integers(0, 5, size=(n, 2)).astype(float)
    return points, start_for(rng, points, spread=5)


def duplicated(rng):
    """Two to four distinct points, repeated: more centroids than distinct points."""
    distinct = rng.integers(-3, 4, size=(rng.integers(2, 5), 2)).astype(float)
    points = distinct[rng.integers(0, len(distinct), size=rng.integers(4, 16))]
    return points, start_for(rng, points, spread=4)


def far_from_origin(rng):
    """An integer grid moved by 10^7 to 10^9, on one axis or both."""
    points, start = integer_grid(rng)
    shift = rng.choice([1e7, -1e8, 9e8, 1e9]) * rng.choice([[1, 0], [0, 1], [1, 1], [1, -1]])
    return points + shift, start + shift


def start_for(rng, points, spread):
    """k starting centroids: data points (some repeated), grid points or points beyond."""
    k = rng.integers(2, min(len(points), 6) + 1)
    kind = rng.integers(3)
    if kind == 0:
        return points[rng.integers(0, len(points), size=k)].copy()
    if kind == 1:
        return rng.integers(0, spread, size=(k, 2)).astype(float)
    return rng.integers(-2 * spread, 3 * spread, size=(k, 2)).astype(float)


@pytest.mark.parametrize("make", [integer_grid, duplicated, far_from_origin])
def test_every_iteration_equals_sklearns_to_the_last_bit_from_any_manual_start(make):
    rng = np.random.default_rng(14)
    for run in range(RUNS):
        points, start = make(rng)
        found = run_disagreement(points, start)
        assert found is None, f"run {run}: points {points.tolist()}, start " \
                              f"{start.tolist()}: {found}"


# --- The cases found by hand --------------------------------------------------------

def test_an_empty_cluster_no_point_can_fill_takes_the_largest_clusters_sum_before_it_is_divided():
    points = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
    start = np.array([[5.0, 5.0], [0.0, 0.0], [1.0, 1.0]])
    session = started(points, start)
    session.update()
    # In scikit-learn's centred coordinates, cluster 1's sum is 2 × (−1/3, −1/3).
    np.testing.assert_array_equal(session.data.to_data(session.centroids),
                                  sklearn_lloyd(points, start, 1).cluster_centers_)
    np.testing.assert_allclose(session.data.to_data(session.centroids)[0], [-1 / 3, -1 / 3])
    emptied = [event for event in presentation.events(session) if event["type"] == "empty_cluster"]
    assert emptied == [{
        "type": "empty_cluster", "cluster": 0, "point": None, "largest": 1,
        "message": "Cluster 0 was left with no points, and no point could be moved to it: "
                   "every point already sits on its centroid. As scikit-learn does, its "
                   "centroid was given the largest cluster's (1) sum of points before that was "
                   "divided by its 2 points, so it lies 2 times as far from the data's mean as "
                   "cluster 1's centroid, in the same direction.",
    }]
    session.assign()
    assert disagreement(session, sklearn_lloyd(points, start, 1)) is None
    assert not inertia_rises(session)


def test_an_empty_cluster_after_the_largest_takes_its_mean():
    points = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
    start = np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]])
    session = started(points, start)
    session.update()
    np.testing.assert_array_equal(session.data.to_data(session.centroids)[2], [0.0, 0.0])
    message = presentation.events(session)[-1]["message"]
    assert message.endswith("As scikit-learn does, its centroid moved onto the centroid of "
                            "the largest cluster (0).")
    session.assign()
    assert disagreement(session, sklearn_lloyd(points, start, 1)) is None


def test_a_cluster_whose_only_point_is_relocated_is_left_empty_and_told_so():
    # Cluster 0 holds one point, the farthest from its centroid: it goes to empty
    # cluster 2, and cluster 0 is left empty in turn.
    points = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0]])
    start = np.array([[13.0, 0.0], [0.0, 0.5], [100.0, 100.0]])
    session = started(points, start)
    session.update()
    events = [event for event in presentation.events(session) if event["type"] == "empty_cluster"]
    assert [(event["cluster"], event["point"]) for event in events] == [(2, 2), (0, None)]
    assert "its last point went to an empty cluster" in events[1]["message"]
    np.testing.assert_array_equal(session.data.to_data(session.centroids)[2], points[2])
    session.assign()
    assert disagreement(session, sklearn_lloyd(points, start, 1)) is None
    assert not inertia_rises(session)


@pytest.mark.parametrize("far", [1e8, 9e8])
def test_inertia_far_from_the_origin_is_exact_and_never_rises(far):
    points = np.array([[-far, 0.0], [-far, 1.0], [far, 0.0], [far, 1.0]])
    start = np.array([[-far, 0.0], [far, 0.0]])
    session = started(points, start)
    session.run(max_iter=3)
    assert [step.inertia for step in session.steps[1:]] == [2.0, 1.0, 1.0]
    assert session.converged
    assert disagreement(session, sklearn_lloyd(points, start, 3)) is None


def test_no_step_raises_the_inertia_by_more_than_rounding_in_any_run():
    rng = np.random.default_rng(15)
    for make in (integer_grid, duplicated, far_from_origin):
        for _ in range(50):
            points, start = make(rng)
            session = started(points, start)
            session.run(max_iter=ITERATIONS)
            rounding = 1e-12 * (((points - points.mean(axis=0)) ** 2).sum() + 1.0)
            assert not inertia_rises(session, by=rounding), (points.tolist(), start.tolist())


def test_when_no_label_changes_but_a_cluster_is_empty_the_last_update_is_sklearns():
    # Cluster 1 takes cluster 2's sum (no point can be moved to it). The means are
    # then off their points by rounding, so the update after the assignment that
    # changes nothing moves cluster 1 to a point: scikit-learn stops after it.
    points = np.array([[1.0, 0.0], [1.0, 0.0], [-3.0, -3.0], [-3.0, -3.0], [-3.0, -3.0]])
    start = np.array([[1.0, 0.0], [1.0, 0.0], [-3.0, -3.0]])
    session = started(points, start)
    session.update()
    session.assign()
    assert (session.steps[-1].changed, session.converged, session.next_step) == (0, False, "update")
    assert disagreement(session, sklearn_lloyd(points, start, 1)) is None
    said = presentation.events(session)[-1]["message"]
    assert "Update once more to see where scikit-learn stops" in said
    session.update()
    assert session.converged and session.next_step is None
    for max_iter in (2, 300):
        assert disagreement(session, sklearn_lloyd(points, start, max_iter)) is None
    relocated, stop = presentation.events(session)[1:]
    assert (relocated["cluster"], relocated["point"]) == (1, 4)
    assert stop["type"] == "converged" and "scikit-learn stops here" in stop["message"]
    session.assign()
    session.update()
    assert len(session.steps) == 5  # converged: both steps do nothing


# --- The kernel scikit-learn's KMeans runs, called here too --------------------------

def test_the_private_kernel_the_engine_calls_is_in_the_pinned_scikit_learn():
    pinned = re.search(r"^scikit-learn==(\S+)$", REQUIREMENTS.read_text(), re.M)
    assert sklearn.__version__ == pinned.group(1)
    for module, name in [("sklearn.cluster._k_means_lloyd", "lloyd_iter_chunked_dense"),
                         ("sklearn.cluster._k_means_common", "_inertia_dense"),
                         ("sklearn.cluster._k_means_common", "_is_same_clustering"),
                         ("sklearn.cluster._kmeans", "_kmeans_plusplus"),
                         ("sklearn.metrics.pairwise", "_euclidean_distances"),
                         ("sklearn.utils._openmp_helpers", "_openmp_effective_n_threads"),
                         ("sklearn.utils.parallel", "_get_threadpool_controller")]:
        assert callable(getattr(importlib.import_module(module), name)), name
    kmeans = importlib.import_module("sklearn.cluster._kmeans")
    assert kmeans.lloyd_iter_chunked_dense is kernel.lloyd_iter_chunked_dense
    assert kmeans._inertia_dense is kernel._inertia_dense
    assert kmeans._euclidean_distances is kernel._euclidean_distances  # k-means++'s
    assert kmeans._kmeans_plusplus is kernel._kmeans_plusplus


def private_sklearn_imports(path):
    """The private scikit-learn names a source file imports: a module or a name of
    scikit-learn's whose dotted path has a part starting with an underscore."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found += [name for name in names if name.split(".")[0] == "sklearn"
                  and any(part.startswith("_") for part in name.split("."))]
    return found


def test_only_the_kernel_module_imports_scikit_learns_private_names():
    app = REPO / "app"
    kernel_module = app / "core" / "kernel.py"
    assert "sklearn.cluster._k_means_lloyd.lloyd_iter_chunked_dense" in (
        private_sklearn_imports(kernel_module))
    elsewhere = {str(path.relative_to(app)): private_sklearn_imports(path)
                 for path in app.rglob("*.py") if path != kernel_module}
    assert {path: names for path, names in elsewhere.items() if names} == {}


def test_a_private_scikit_learn_import_is_found_however_it_is_written(tmp_path):
    source = tmp_path / "module.py"
    for line in ["from sklearn.cluster._kmeans import _kmeans_plusplus",
                 "import sklearn.cluster._k_means_lloyd",
                 "from sklearn.utils import _openmp_helpers",
                 "from sklearn.cluster import _kmeans"]:
        source.write_text(line + "\n")
        assert private_sklearn_imports(source), line
    source.write_text("from sklearn.cluster import KMeans\nimport sklearn.metrics\n")
    assert private_sklearn_imports(source) == []


def test_the_kernel_runs_with_blas_on_one_thread_as_kmeans_fit_runs_it_and_gives_it_back():
    # KMeans.fit holds BLAS to one thread while its kernel runs (each of the kernel's
    # OpenMP threads runs small matrix products); the engine does the same, and then
    # every BLAS library has its threads again, also when the kernel fails.
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_threads():
        return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]

    X = np.ascontiguousarray(np.random.default_rng(0).normal(size=(50, 2)))
    with threadpool_limits(limits=2, user_api="blas"):
        assert blas_threads() and set(blas_threads()) == {2}
        with kernel.lloyd_kernel(X) as lloyd:
            assert set(blas_threads()) == {1}
            lloyd.lloyd(np.ascontiguousarray(X[:3]), update_centers=True)
        assert set(blas_threads()) == {2}
        with pytest.raises(ZeroDivisionError), kernel.lloyd_kernel(X):
            assert set(blas_threads()) == {1}
            1 / 0
        assert set(blas_threads()) == {2}


@pytest.mark.parametrize("n_threads", [1, 2, 3, 4])
@pytest.mark.parametrize("threads", ["threads", "greenlets"])
def test_a_steps_two_inertias_summed_in_one_pass_are_scikit_learns_to_the_bit(
        n_threads, threads, monkeypatch):
    # The engine sums each OpenMP thread's block itself (app.core.kernel), both inertias
    # of a step in one pass, in this thread up to IN_THIS_THREAD_UP_TO values and on
    # threads of its own above, and adds the blocks in the threads' order: the same
    # sums as _inertia_dense with n_threads threads, to the bit. Where threads are
    # greenlets (gevent), large data sets are summed by _inertia_dense itself. Past two
    # threads OpenMP adds the blocks in the order the threads finish, so there the
    # engine's is one of its sums. Every remainder of the features by four
    # (scikit-learn's unrolling), far from the origin and near it.
    helped = []
    if threads == "greenlets":
        monkeypatch.setitem(sys.modules, "gevent.monkey", SimpleNamespace(
            is_module_patched=lambda name: name == "threading"))
        monkeypatch.setattr(kernel, "_helpers", lambda count: pytest.fail("a thread for greenlets"))
    else:
        helpers = kernel._helpers
        monkeypatch.setattr(kernel, "_helpers",
                            lambda count: helped.append(count) or helpers(count))
    rng = np.random.default_rng(n_threads)
    for n, d in [(1, 2), (2, 2), (3, 1), (7, 5), (100, 2), (257, 3), (999, 7), (4001, 2),
                 (300, 64), (50, 783), (20, 784), (2000, 13), (120000, 2), (25000, 40),
                 (1500, 785)]:
        X = rng.normal(size=(n, d)) * 10.0 ** rng.integers(-3, 6) + rng.uniform(-1e4, 1e4)
        X.setflags(write=False)  # as a data set's points are
        centroids = X[rng.integers(0, n, 4)] + rng.normal(size=(4, d))
        moved = centroids + rng.normal(size=(4, d)) * 0.1
        labels = rng.integers(0, 4, n).astype(np.int32)
        other_labels = np.where(rng.random(n) < 0.1, rng.integers(0, 4, n), labels).astype(np.int32)
        lloyd = kernel.Kernel(X, np.ones(n), n_threads)
        summed = [kernel._inertia_dense(X, np.ones(n), c, l, n_threads)
                  for c, l in [(centroids, labels), (moved, other_labels)]]
        both = lloyd.inertias(centroids, labels, moved, other_labels)
        one = lloyd.inertia(centroids, labels)
        if n_threads <= 2:
            assert both == tuple(summed) and one == summed[0], (n, d)
        else:
            assert both == pytest.approx(summed, rel=1e-14)
            assert one == pytest.approx(summed[0], rel=1e-14)
    assert n * d > kernel.IN_THIS_THREAD_UP_TO  # the last ones were summed apart...
    # ... by n_threads - 1 helpers beside this thread, for each of 3 data sets' 2 calls.
    expected = 0 if threads == "greenlets" or n_threads == 1 else 3 * 2 * (n_threads - 1)
    assert helped == [n_threads - 1] * expected


def test_the_inertias_loop_compiles_where_numba_has_no_cache_it_may_write(monkeypatch):
    # numba refuses cache=True when no cache directory can be written (an install
    # directory read-only to the app's user, no home): the loop is compiled in the
    # process then, not left uncompiled nor stopping the app's start.
    asked, njit = [], kernel.numba.njit

    def without_a_writable_cache(*args, **options):
        asked.append(options.get("cache", False))
        if options.get("cache"):
            raise RuntimeError("cannot cache function 'block_sum': no locator available")
        return njit(*args, **options)

    monkeypatch.setattr(kernel.numba, "njit", without_a_writable_cache)
    block_sum = kernel._block_loop(False)
    X = np.arange(12.0).reshape(6, 2)
    labels = np.zeros(6, dtype=np.int32)
    assert asked == [True, False]
    summed = kernel._inertia_dense(X, np.ones(6), X[:1], labels, 1)
    assert block_sum(X, X[:1], labels, X[:1], labels, 0, 6)[0] == summed
