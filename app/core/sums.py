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
gives (float64 points and centroids, int32 labels), and kept in numba's cache on
disk (``__pycache__`` beside this file, or ``NUMBA_CACHE_DIR``, as in the image): a
process started later loads it in milliseconds instead of compiling for a second.
"""

import numba
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


def _block_loop(both):
    """The loop over one thread's block of points, for one assignment or (``both``) two in
    the same pass; ``both`` is a constant of the compiled code, not a test per point."""
    def block_sums(X, centroids, labels, other_centroids, other_labels, start, stop):
        """Σ‖x − c‖² over the points ``start`` to ``stop``, in order, for ``labels`` to
        ``centroids`` and, both, ``other_labels`` to ``other_centroids``: each point's
        ``_euclidean_dense_dense(x, c, n_features, squared=True)``, operation for
        operation (four features at a time, then the rest), added to its total."""
        n_features = X.shape[1]
        unrolled = n_features - n_features % 4
        total = other_total = 0.0
        for i in range(start, stop):
            x, c, o = X[i], centroids[labels[i]], other_centroids[other_labels[i]]
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
    block_sums.__name__ = block_sums.__qualname__ = "block_sums" if both else "block_sum"
    return _compiled(types.UniTuple(types.float64, 2)(_POINTS, _POINTS, _LABELS, _POINTS,
                                                      _LABELS, types.int64, types.int64))(
        block_sums)


_one, _two = _block_loop(False), _block_loop(True)


def block_sums(X, centroids, labels, other_centroids, other_labels, start, stop):
    """The sums of one block for two assignments of the same points, in one pass."""
    return _two(X, centroids, labels, other_centroids, other_labels, start, stop)


def block_sum(X, centroids, labels, start, stop):
    """The sum of one block for one assignment."""
    return _one(X, centroids, labels, centroids, labels, start, stop)[0]
