"""The inertia, Σ‖x − c‖² over every point and its centroid, summed to the bit as
scikit-learn's ``_inertia_dense`` sums it, and a step's two inertias in one pass.

``_inertia_dense`` gives each OpenMP thread a block of points (the static schedule),
sums each block in order, a point's squared distance by ``_euclidean_dense_dense``
(features four at a time, then the rest), and adds the blocks' sums. Here each
block is summed the same way, in one compiled loop (numba), and the blocks are
added in the threads' order: with one or two threads that is the very sum. A step
needs two inertias, its assignment's and its update's, on the same points: here
both take one pass; one assignment alone has a loop of its own. ``engine`` sums
the blocks in the request's thread on few points and on threads of its own on many,
since numba's loop lets go of the GIL (``engine.IN_THIS_THREAD_UP_TO``, with what
was measured).

Compiled when this module is first imported, for the one set of types the engine
gives (float64 points and centroids, int32 labels), four loops (one assignment or
two, two features or any number), and kept in numba's cache on disk (``__pycache__``
beside this file, or ``NUMBA_CACHE_DIR``, as in the image): a process started later
loads them in milliseconds instead of compiling for about two seconds.
"""

import numba
import numpy as np
from numba import types

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
    are 0 to k - 1). Both sums of 100,000 two-dimensional points took 0.29 ms before
    those two, 0.17 after; four points at a time, in one loop over their features, were
    no faster on raw MNIST, where the points come from memory."""
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
