"""Lloyd's algorithm for k-means, one step at a time: init, assign, update.

numpy and scikit-learn, no web framework. Every function trusts its input: the
API layer validates once, at the edge, and ``X`` and the centroids are
C-contiguous float64 (``X`` centred on its mean, as scikit-learn centres it).
Assign and update run scikit-learn's own compiled Lloyd kernel, as
``KMeans(algorithm="lloyd")`` does (see "The kernel" at the end), so that a run
here and a run of ``sklearn.cluster.KMeans`` give the same centroids, labels and
inertia to the last bit.
"""

import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

# scikit-learn's private Lloyd kernel and inertia, what KMeans.fit runs, and the
# squared distances its k-means++ draws with. Private APIs: requirements.txt pins
# scikit-learn, and tests/test_fidelity.py checks that they are there and agree
# with KMeans.
from sklearn.cluster._k_means_common import _inertia_dense
from sklearn.cluster._k_means_lloyd import lloyd_iter_chunked_dense
from sklearn.metrics.pairwise import _euclidean_distances
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads
from sklearn.utils.parallel import _get_threadpool_controller

from app.core import sums

INIT_METHODS = ("random", "kmeans++", "farthest", "random_partition", "manual")
PICKED_ONE_AT_A_TIME = ("kmeans++",)  # starts whose Init can be taken one centre at a time


def squared_norms(X):
    """Squared Euclidean norm of every row."""
    return np.einsum("ij,ij->i", X, X)


# --- Init: choose the starting centroids -------------------------------------

def init_centroids(X, k, method, seed, x_squared_norms=None):
    """Starting centroids by ``method`` ("random", "kmeans++", "farthest" or
    "random_partition"), all randomness from ``RandomState(seed)``."""
    random_state = np.random.RandomState(seed)
    if method == "random":
        return _init_random(X, k, random_state)
    if method == "kmeans++":
        kept = [pick.kept for pick in kmeans_plusplus_picks(X, k, seed, x_squared_norms)]
        return X[kept]
    if method == "farthest":
        return _init_farthest(X, k, random_state)
    if method == "random_partition":
        return _init_random_partition(X, k, random_state)
    raise ValueError(f"init={method!r} takes no seed; give the centroids instead")


def _init_random(X, k, random_state):
    # The very call KMeans(init="random") makes, uniform weights included: a
    # choice with p= draws differently from one without.
    n = X.shape[0]
    seeds = random_state.choice(n, size=k, replace=False, p=np.ones(n) / n)
    return X[seeds].copy()


@dataclass(frozen=True, eq=False)
class Pick:
    """One centre of greedy k-means++, as scikit-learn's ``_kmeans_plusplus`` chose it.

    ``closest``: every point's squared distance to the nearest centre chosen before
    (D²), and ``potential`` their sum, Σ D²: each point was drawn with probability
    D² / Σ D². Both are None for the first centre, drawn uniformly. ``candidates``:
    the points drawn (2 + int(ln k) of them); ``potentials``: the Σ D² each would
    leave; ``kept``: the candidate that leaves the least.
    """

    closest: np.ndarray | None
    potential: float | None
    candidates: np.ndarray
    potentials: np.ndarray
    kept: int

    def chances(self, n_samples):
        """Every point's probability of being drawn as a candidate."""
        if self.closest is None:
            return np.full(n_samples, 1.0 / n_samples)
        if not self.potential > 0:  # every point on a centre: nothing left to draw by D²
            return np.zeros(n_samples)
        return self.closest / self.potential


def kmeans_plusplus_picks(X, k, seed, x_squared_norms=None):
    """The k centres of k-means++ one at a time, as ``Pick`` records: scikit-learn's
    ``_kmeans_plusplus`` line for line (unit sample weights, as ``KMeans`` and
    ``kmeans_plusplus`` give it), so the same draws of ``RandomState(seed)`` give the
    same candidates and centres to the last bit. A generator: a sub-stepped Init
    takes only the centres it needs."""
    random_state = np.random.RandomState(seed)
    if x_squared_norms is None:
        x_squared_norms = squared_norms(X)
    n_samples = X.shape[0]
    sample_weight = np.ones(n_samples, dtype=X.dtype)
    n_local_trials = 2 + int(np.log(k))

    center_id = random_state.choice(n_samples, p=sample_weight / sample_weight.sum())
    closest_dist_sq = _euclidean_distances(
        X[[center_id]], X, Y_norm_squared=x_squared_norms, squared=True)
    current_pot = closest_dist_sq @ sample_weight
    yield Pick(None, None, np.array([center_id]), current_pot.copy(), int(center_id))

    for _ in range(1, k):
        rand_vals = random_state.uniform(size=n_local_trials) * current_pot
        candidate_ids = np.searchsorted(np.cumsum(sample_weight * closest_dist_sq), rand_vals)
        # As scikit-learn: rounding can put a draw past the last point.
        np.clip(candidate_ids, None, closest_dist_sq.size - 1, out=candidate_ids)
        distance_to_candidates = _euclidean_distances(
            X[candidate_ids], X, Y_norm_squared=x_squared_norms, squared=True)
        np.minimum(closest_dist_sq, distance_to_candidates, out=distance_to_candidates)
        candidates_pot = distance_to_candidates @ sample_weight.reshape(-1, 1)
        best = np.argmin(candidates_pot)
        # A copy: a view would keep every candidate's distances alive with the pick.
        yield Pick(closest_dist_sq.ravel().copy(), float(current_pot[0]), candidate_ids,
                   candidates_pot.ravel(), int(candidate_ids[best]))
        current_pot = candidates_pot[best]
        closest_dist_sq = distance_to_candidates[best]


def _init_farthest(X, k, random_state):
    """Farthest-first traversal: a random first point, then each next centroid
    is the point farthest from all centroids chosen so far (ties: lowest index)."""
    chosen = [random_state.randint(X.shape[0])]
    closest = ((X - X[chosen[0]]) ** 2).sum(axis=1)
    for _ in range(1, k):
        chosen.append(int(np.argmax(closest)))
        np.minimum(closest, ((X - X[chosen[-1]]) ** 2).sum(axis=1), out=closest)
    return X[chosen].copy()


def _init_random_partition(X, k, random_state):
    """Every point joins a random cluster and the centroids are their means.

    The partition is a random permutation of 0, 1, ..., k-1 repeated, so every
    cluster gets about n/k points and none starts empty.
    """
    labels = random_state.permutation(np.arange(X.shape[0]) % k)
    sums = np.zeros((k, X.shape[1]))
    np.add.at(sums, labels, X)
    return sums / np.bincount(labels, minlength=k)[:, None]


# --- Assign (E step): every point joins its nearest centroid ------------------

def assign(X, centroids):
    """Nearest centroid of every point (ties: the lowest index) and the inertia of
    that assignment, the sum of squared distances. Returns ``labels, inertia``."""
    with _kernel(X) as kernel:
        labels, _, _ = kernel.lloyd(centroids, update_centers=False)
        return labels, kernel.inertia(centroids, labels)


def inertia(X, centroids, labels):
    """Σ‖x − c‖² over every point and its centroid (``labels`` int32), summed
    directly as scikit-learn does: no ‖x‖² − 2x·c + ‖c‖², which cancels far from
    the origin."""
    with _kernel(X) as kernel:
        return kernel.inertia(centroids, labels)


def count_changed(labels, previous_labels):
    """Points whose cluster differs from the previous assignment (all, the first time)."""
    if previous_labels is None:
        return int(labels.shape[0])
    return int(np.count_nonzero(labels != previous_labels))


# --- Update (M step): every centroid moves to the mean of its points ----------

@dataclass(frozen=True)
class Update:
    """Where an update moved the centroids, and why any went elsewhere than a mean.

    ``relocations``: ``(cluster, point)`` for each empty cluster whose centroid
    jumped to a data point. ``emptied``: ``(cluster, largest, size)`` for each
    cluster left with no point even so; its centroid took the largest cluster's
    row. ``inertia``: every point against its new centroid, a relocated point
    counted in the cluster it was moved to, so that an update never raises it
    (beyond rounding).
    """

    centroids: np.ndarray
    relocations: tuple
    emptied: tuple
    inertia: float


def update(X, centroids):
    """The update that follows the assignment of every point to ``centroids``.

    Every centroid moves to the mean of its points (the sum times the reciprocal
    of the count). An empty cluster takes the point farthest from its own
    centroid (the n_empty farthest points for n_empty empty clusters), and that
    point leaves its old cluster. A cluster still empty (every point sits on its
    centroid, or its last point was taken) is given the row of the largest
    cluster as it stands then: its sum if that cluster comes later, so not yet
    divided, its mean if it comes earlier. That is scikit-learn's
    ``_average_centers``, odd as it is, kept so as to agree with it.

    scikit-learn's kernel takes the assignment and the update in one pass: it is
    given the centroids, not the labels, and finds the same labels again.
    """
    with _kernel(X) as kernel:
        labels, means, sizes = kernel.lloyd(centroids, update_centers=True)
        moved, relocations, emptied = _moves(kernel.X, centroids, labels, sizes)
        return Update(means, relocations, emptied, kernel.inertia(means, moved))


def iterate(X, centroids):
    """Assign and update in one pass over the data, as scikit-learn takes them:
    ``labels, inertia`` of the assignment to ``centroids``, and the ``Update`` after it."""
    with _kernel(X) as kernel:
        labels, means, sizes = kernel.lloyd(centroids, update_centers=True)
        moved, relocations, emptied = _moves(kernel.X, centroids, labels, sizes)
        assigned, updated = kernel.inertias(centroids, labels, means, moved)
        return labels, assigned, Update(means, relocations, emptied, updated)


def _moves(X, centroids, labels, sizes):
    """What the update does besides taking the means, told from what the kernel left
    (the labels and the points in each cluster): every point's cluster after it,
    ``labels`` themselves unless a point was relocated, and ``Update.relocations``
    and ``Update.emptied``."""
    relocations = _relocations(X, centroids, labels, sizes)
    moved = labels.copy() if relocations else labels
    for cluster, point in relocations:
        moved[point] = cluster
    largest = int(np.argmax(sizes))
    emptied = tuple((int(cluster), largest, int(sizes[largest]))
                    for cluster in np.flatnonzero(sizes == 0))
    return moved, relocations, emptied


def _relocations(X, centroids, labels, sizes):
    """Which point the kernel's ``_relocate_empty_clusters_dense`` gave to each
    empty cluster: the same choice, made again to be told (it says nothing)."""
    # With unit weights a cluster the kernel filled holds exactly its one point, and one
    # it could not fill none: clusters of two points or more mean no cluster was empty
    # (told from the k sizes, not from counting the labels: a tenth of a step at 100,000).
    if sizes.min() >= 2:
        return ()
    empty = np.flatnonzero(np.bincount(labels, minlength=len(centroids)) == 0)
    if not (sizes[empty] > 0).any():  # none, or none could be filled
        return ()
    distances = ((X - centroids[labels]) ** 2).sum(axis=1)
    farthest = np.argpartition(distances, -empty.size)[: -empty.size - 1 : -1]
    return tuple((int(cluster), int(point)) for cluster, point in zip(empty, farthest))


# --- The kernel ---------------------------------------------------------------

# A step's inertias are summed by ``app.core.sums``, both in one pass, each OpenMP
# thread's block of points apart. Up to this many values (points times features) the
# blocks are summed one after the other in the request's thread; above it, at once, on
# threads of the app's own, one a block (``_helpers``); where threads are greenlets
# (gevent's workers), by scikit-learn on its OpenMP threads instead, a pass each.
# Measured, both inertias, in this thread / on two threads / scikit-learn's passes:
# 20,000 two-dimensional points 0.04 / 0.12 / 0.33 ms; 100,000 0.18 / 0.16 / 0.54 ms;
# 200,000 0.34 / 0.24 / 0.85 ms; 100,000 three-dimensional 0.30 / 0.22 / 0.52 ms;
# 5,000 x 784 (raw MNIST) 3.6 / 2.5 / 3.2 ms. Timed that way, in a loop, 100,000
# two-dimensional points are a tie; in the requests of a step, where the helper has
# slept since the last one, summing them in this thread took 3 % less of the step.
IN_THIS_THREAD_UP_TO = 200_000


@contextmanager
def _kernel(X):
    """scikit-learn's Lloyd kernel and inertia for ``X``, called as
    ``_kmeans_single_lloyd`` calls them: unit sample weights, the OpenMP threads
    KMeans.fit counts, and BLAS on one thread meanwhile (each of the kernel's
    threads runs small matrix products)."""
    with _blas_on_one_thread():
        yield _Kernel(X, _unit_weights(X.shape[0]), _openmp_effective_n_threads())


@contextmanager
def _blas_on_one_thread():
    """Every BLAS library held to one thread meanwhile, as threadpoolctl's
    ``limit(limits=1, user_api="blas")`` holds them, without its survey of every
    library's version and build first (2 % of a step on 100,000 points)."""
    libraries = _blas_libraries()
    before = [library.get_num_threads() for library in libraries]
    for library in libraries:
        library.set_num_threads(1)
    try:
        yield
    finally:
        for library, threads in zip(libraries, before):
            library.set_num_threads(threads)


@lru_cache(maxsize=1)
def _blas_libraries():
    """The BLAS libraries loaded, as scikit-learn's threadpool controller found them."""
    return tuple(_get_threadpool_controller().select(user_api="blas").lib_controllers)


@lru_cache(maxsize=8)
def _unit_weights(n):
    """n ones, made once: on 100,000 points a new array cost a tenth of a step."""
    weights = np.ones(n)
    weights.setflags(write=False)
    return weights


@dataclass(frozen=True)
class _Kernel:
    X: np.ndarray
    sample_weight: np.ndarray
    n_threads: int

    def lloyd(self, centroids, update_centers):
        """``lloyd_iter_chunked_dense``: the labels and, with ``update_centers``, the
        new centroids and the number of points in each cluster."""
        k = centroids.shape[0]
        labels = np.empty(self.X.shape[0], dtype=np.int32)
        means = np.empty_like(centroids) if update_centers else None
        sizes = np.empty(k) if update_centers else None
        lloyd_iter_chunked_dense(self.X, self.sample_weight, centroids, means, sizes, labels,
                                 np.empty(k), self.n_threads, update_centers=update_centers)
        return labels, means, sizes

    def inertia(self, centroids, labels):
        """``_inertia_dense`` with the threads KMeans.fit gives it."""
        return self.inertias(centroids, labels)[0]

    def inertias(self, centroids, labels, other_centroids=None, other_labels=None):
        """The inertia of ``labels`` to ``centroids`` and, given, of ``other_labels`` to
        ``other_centroids``: ``_inertia_dense``'s, to the bit.

        Each OpenMP thread's block of points (the static schedule's: the first
        ``n % n_threads`` threads take one point more) is summed as that thread sums
        it, both inertias in one pass, and the blocks are added in the threads' order
        (see ``IN_THIS_THREAD_UP_TO`` for where). With one or two threads that is the
        very sum; with more, OpenMP adds the blocks in the order the threads finish, so
        scikit-learn's own is one of several, and this is one of them."""
        pairs = [(centroids, labels)] + ([] if other_centroids is None
                                         else [(other_centroids, other_labels)])
        n = self.X.shape[0]
        apart = n * self.X.shape[1] > IN_THIS_THREAD_UP_TO
        if apart and not _threads_run_apart():
            return tuple(float(_inertia_dense(self.X, self.sample_weight, c, l, self.n_threads))
                         for c, l in pairs)
        share, extra = divmod(n, self.n_threads)
        bounds = np.cumsum([0] + [share + (thread < extra) for thread in range(self.n_threads)])

        def block(thread):
            start, stop = int(bounds[thread]), int(bounds[thread + 1])
            if other_centroids is None:
                return (sums.block_sum(self.X, centroids, labels, start, stop),)
            return sums.block_sums(self.X, centroids, labels, other_centroids, other_labels,
                                   start, stop)

        if apart and self.n_threads > 1:
            others = [_helpers(self.n_threads - 1).submit(block, thread)
                      for thread in range(1, self.n_threads)]
            blocks = [block(0)] + [other.result() for other in others]
        else:
            blocks = [block(thread) for thread in range(self.n_threads)]
        totals = [0.0] * len(pairs)
        for sums_of_block in blocks:
            totals = [total + part for total, part in zip(totals, sums_of_block)]
        return tuple(totals)


@lru_cache(maxsize=4)
def _helpers(count):
    """``count`` threads that sum blocks of points beside the request's own (numba's loop
    lets go of the GIL); made at the first large data set, so after any fork."""
    return ThreadPoolExecutor(max_workers=count, thread_name_prefix="inertia")


def _threads_run_apart():
    """Whether a thread runs beside the others: not where gevent has made them greenlets,
    which take turns (then scikit-learn's OpenMP threads sum large data sets instead)."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is None or not monkey.is_module_patched("threading")
