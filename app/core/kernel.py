"""The one boundary to scikit-learn's private k-means code.

This module alone imports scikit-learn's private names (its compiled Lloyd
kernel, its inertia, its k-means++ and the distances k-means++ draws with), sets
the threads they run on (OpenMP as ``KMeans.fit`` counts them, BLAS held to one
thread meanwhile) and holds the sums that give a step's inertias exactly as
``_inertia_dense`` gives them. scikit-learn is pinned in requirements.txt because
these names are private; tests/unit/test_fidelity.py checks that they are there and
that what is built on them agrees with ``KMeans`` to the last bit, and
its test_only_the_kernel_module_imports_scikit_learns_private_names that no other module imports them.

The inertias' sums: ``_inertia_dense`` gives each OpenMP thread a block of points
(the static schedule: the first ``n % n_threads`` threads take one point more),
sums each block in order, a point's squared distance by ``_euclidean_dense_dense``
(features four at a time, then the rest), and adds the blocks' sums. Here each
block is summed the same way, in one compiled loop (numba), and the blocks are
added in the threads' order: with one or two threads that is the very sum; with
more, OpenMP adds the blocks in the order the threads finish, so scikit-learn's
own is one of several, and this is one of them. A step needs two inertias on the
same points (its assignment's and its update's): both take one pass.

The loops are compiled when this module is first imported, for the one set of
types the engine gives (float64 points and centroids, int32 labels), and kept in
numba's cache on disk (``__pycache__`` beside this file, or ``NUMBA_CACHE_DIR``),
so that a process started later loads them instead of compiling them.
"""

import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import numba
import numpy as np
from numba import types
from sklearn.cluster._k_means_common import _inertia_dense, _is_same_clustering
from sklearn.cluster._k_means_lloyd import lloyd_iter_chunked_dense
from sklearn.cluster._kmeans import _kmeans_plusplus
from sklearn.metrics.pairwise import _euclidean_distances
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads
from sklearn.utils.parallel import _get_threadpool_controller

# Up to this many values (points times features) a step's inertias are summed block
# after block in the request's thread; above it, at once, on threads of the app's own
# (numba's loop lets go of the GIL); where threads are greenlets (gevent's workers),
# by scikit-learn on its OpenMP threads instead. The crossing point was measured:
# bench/bench_engine.py, results in bench/results/.
IN_THIS_THREAD_UP_TO = 200_000


# --- Threads ---------------------------------------------------------------------------

@contextmanager
def lloyd_kernel(X):
    """scikit-learn's Lloyd kernel and inertia for ``X``, called as
    ``_kmeans_single_lloyd`` calls them: unit sample weights, the OpenMP threads
    KMeans.fit counts, and BLAS on one thread meanwhile (each of the kernel's
    threads runs small matrix products)."""
    with _blas_on_one_thread():
        yield Kernel(X, _unit_weights(X.shape[0]), _openmp_effective_n_threads())


@contextmanager
def _blas_on_one_thread():
    """Every BLAS library held to one thread meanwhile, as threadpoolctl's
    ``limit(limits=1, user_api="blas")`` holds them, without its survey of every
    library's version and build first, which is a noticeable part of a step."""
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
    """n ones, made once per size and read-only, since every step needs them."""
    weights = np.ones(n)
    weights.setflags(write=False)
    return weights


@lru_cache(maxsize=4)
def _helpers(count):
    """``count`` threads that sum blocks of points beside the request's own; made at
    the first large data set, so after any fork."""
    return ThreadPoolExecutor(max_workers=count, thread_name_prefix="inertia")


def _threads_run_apart():
    """Whether a thread runs beside the others: not where gevent has made them greenlets,
    which take turns (then scikit-learn's OpenMP threads sum large data sets instead)."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is None or not monkey.is_module_patched("threading")


# --- The kernel --------------------------------------------------------------------------

@dataclass(frozen=True)
class Kernel:
    """scikit-learn's Lloyd pass and inertia on ``X``, with its weights and threads."""

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

    def lloyd_into(self, centroids, new_centroids, weight_in_clusters, labels, center_shift,
                   update_centers=True):
        """``lloyd_iter_chunked_dense`` into arrays the caller keeps between passes,
        as ``_kmeans_single_lloyd`` calls it."""
        lloyd_iter_chunked_dense(self.X, self.sample_weight, centroids, new_centroids,
                                 weight_in_clusters, labels, center_shift, self.n_threads,
                                 update_centers=update_centers)

    def inertia(self, centroids, labels):
        """``_inertia_dense`` with the threads KMeans.fit gives it."""
        return self.inertias(centroids, labels)[0]

    def inertias(self, centroids, labels, other_centroids=None, other_labels=None):
        """The inertia of ``labels`` to ``centroids`` and, given, of ``other_labels`` to
        ``other_centroids``: ``_inertia_dense``'s, to the bit (see the module's
        docstring), both in one pass."""
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
                return (block_sum(self.X, centroids, labels, start, stop),)
            return block_sums(self.X, centroids, labels, other_centroids, other_labels,
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


# --- k-means++ and its distances ------------------------------------------------------

def squared_distances(Y, X, x_squared_norms):
    """Squared Euclidean distance of every row of ``Y`` to every row of ``X``, as
    scikit-learn's k-means++ computes them."""
    return _euclidean_distances(Y, X, Y_norm_squared=x_squared_norms, squared=True)


def kmeans_plusplus(X, k, x_squared_norms, random_state):
    """``k`` centres by scikit-learn's greedy k-means++ (unit weights), drawn from
    ``random_state`` as ``KMeans(n_init)`` draws each of its starts."""
    return _kmeans_plusplus(X, k, x_squared_norms=x_squared_norms,
                            sample_weight=np.ones(X.shape[0]), random_state=random_state)[0]


def same_clustering(labels, other_labels, k):
    """Whether two labelings are one clustering numbered differently (KMeans.fit's test)."""
    return _is_same_clustering(labels, other_labels, k)


# --- The inertias' compiled loops -----------------------------------------------------

_POINTS = types.Array(types.float64, 2, "C", readonly=True)  # points and centroids
_LABELS = types.Array(types.int32, 1, "C", readonly=True)


def _compiled(signature):
    """numba's ``njit`` for ``signature``, compiled now, without the GIL, cached on disk
    where there is a cache numba can write (else compiled in each process)."""
    def compile_(function):
        try:
            return numba.njit(signature, nogil=True, cache=True)(function)
        except RuntimeError:  # no writable cache directory: numba refuses to cache
            return numba.njit(signature, nogil=True)(function)
    return compile_


@numba.njit(nogil=True, inline="always")
def _four(x, c, f):
    """Features f to f + 3 of ``_euclidean_dense_dense``'s unrolled loop, in its order."""
    return ((x[f] - c[f]) * (x[f] - c[f]) + (x[f + 1] - c[f + 1]) * (x[f + 1] - c[f + 1])
            + (x[f + 2] - c[f + 2]) * (x[f + 2] - c[f + 2])
            + (x[f + 3] - c[f + 3]) * (x[f + 3] - c[f + 3]))


def _block_loop(both, features=None):
    """The loop over one thread's block of points, for one assignment or (``both``) two in
    the same pass. ``both`` and ``features`` (the points' number of features, or None for
    any) are constants of the compiled code: no test per point, and with two features
    the loop over them is written out. A label indexes its centroid as an unsigned
    number, so that no point pays for Python's negative indices (the engine's labels
    are 0 to k - 1)."""
    def block_sums(X, centroids, labels, other_centroids, other_labels, start, stop):
        """Σ‖x − c‖² over the points ``start`` to ``stop``, in order, for ``labels`` to
        ``centroids`` and, both, ``other_labels`` to ``other_centroids``: each point's
        ``_euclidean_dense_dense(x, c, n_features, squared=True)``, operation for
        operation (four features at a time, then the rest), added to its total."""
        n_features = X.shape[1] if features is None else features
        unrolled = n_features - n_features % 4
        total = other_total = 0.0
        for i in range(start, stop):
            x = X[i]
            c = centroids[np.uint32(labels[i])]
            o = other_centroids[np.uint32(other_labels[i])]
            result = other = 0.0
            for f in range(0, unrolled, 4):
                result += _four(x, c, f)
                if both:
                    other += _four(x, o, f)
            for f in range(unrolled, n_features):
                result += (x[f] - c[f]) * (x[f] - c[f])
                if both:
                    other += (x[f] - o[f]) * (x[f] - o[f])
            total += result
            other_total += other
        return total, other_total
    name = ("block_sums" if both else "block_sum") + ("" if features is None else f"_{features}d")
    block_sums.__name__ = block_sums.__qualname__ = name
    return _compiled(types.UniTuple(types.float64, 2)(_POINTS, _POINTS, _LABELS, _POINTS,
                                                      _LABELS, types.int64, types.int64))(
        block_sums)


# The loops compiled: {(both, features): loop}, features None for any number of them.
WRITTEN_OUT = 2  # the features of the data sets drawn in the plane, the common case
_LOOPS = {(both, features): _block_loop(both, features)
          for both in (False, True) for features in (None, WRITTEN_OUT)}


def _loop(both, X):
    return _LOOPS[both, X.shape[1] if X.shape[1] == WRITTEN_OUT else None]


def block_sums(X, centroids, labels, other_centroids, other_labels, start, stop):
    """The sums of one block for two assignments of the same points, in one pass."""
    return _loop(True, X)(X, centroids, labels, other_centroids, other_labels, start, stop)


def block_sum(X, centroids, labels, start, stop):
    """The sum of one block for one assignment."""
    return _loop(False, X)(X, centroids, labels, centroids, labels, start, stop)[0]
