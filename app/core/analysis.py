"""What is computed once per data set beyond one run: the elbow curve and seeded runs.

Every number comes from throwaway Sessions run by the engine, so it is the one
a student would reach by stepping, and it agrees with scikit-learn's KMeans.
Long computations are cut into pieces kept for the life of the process: a
caller gives a deadline, and what is complete by then is answered; asking
again goes on from there.
"""

import threading
import time
import weakref
from collections import OrderedDict

import numpy as np

from app.core import engine, metrics
from app.core.session import Session, Step

ELBOW_STARTS = 10  # seeded k-means++ starts for every k of the elbow
LLOYD_MAX_ITER = 300  # scikit-learn's default
SEEDED_INITS = tuple(method for method in engine.INIT_METHODS if method != "manual")


_analyses = weakref.WeakKeyDictionary()  # Dataset -> DataAnalysis, gone with the data set
_analyses_lock = threading.Lock()


def analysis_of(data):
    """What has been computed on a data set, shared by every session on it, for as
    long as the data set itself is kept (by the data set cache or a session)."""
    with _analyses_lock:
        analysis = _analyses.get(data)
        if analysis is None:
            analysis = _analyses[data] = DataAnalysis()
        return analysis


class DataAnalysis:
    """A data set's elbow curve, grown one k at a time, and the seeded runs asked for.

    Each k of the elbow takes the best of ``ELBOW_STARTS`` seeded k-means++
    starts and one more start: the best centroids of k - 1 plus the point
    farthest from its centroid. That start's first assignment already has a
    lower inertia than k - 1's best, and Lloyd's steps never raise it, so the
    curve never rises.
    """

    MAX_RUNS = 1024  # seeded runs remembered

    def __init__(self):
        # Holds no reference to its data set: the cache above is keyed weakly by it.
        self.inertia = []
        self.silhouette = []
        self._best = None  # centroids and labels of the last k's best run
        self._elbow_lock = threading.Lock()
        self._runs = OrderedDict()  # (k, init, seed) -> (inertia, iterations, converged)
        self._runs_lock = threading.Lock()

    def elbow(self, data, k_max, deadline):
        """Inertia and silhouette for k = 1 up to ``k_max``, or as far as the deadline
        lets it get (at least one k further on each call)."""
        with self._elbow_lock:
            computed = 0
            while len(self.inertia) < k_max and not (computed and time.monotonic() > deadline):
                self._add_next_k(data)
                computed += 1
            return self.inertia[:k_max], self.silhouette[:k_max]

    def _add_next_k(self, data):
        k = len(self.inertia) + 1
        starts = [engine.init_centroids(data.X, k, "kmeans++", seed, data.x_squared_norms)
                  for seed in range(ELBOW_STARTS)]
        if self._best is not None:
            starts.append(_grown(data.X, *self._best))
        best = min((_lloyd(data, start) for start in starts), key=_inertia)
        self._best = (best.centroids, best.labels)
        self.inertia.append(_inertia(best))
        self.silhouette.append(metrics.silhouette(data.X, best.labels))

    def runs(self, data, k, init, seeds, deadline):
        """(inertia, updates taken, converged) of a seeded run to convergence for each
        of ``seeds`` in turn, or as many as the deadline lets it get (at least one
        more than were known on each call)."""
        results, computed = [], 0
        for seed in seeds:
            result = self._known_run((k, init, seed))
            if result is None:
                if computed and time.monotonic() > deadline:
                    break
                run = _lloyd(data, engine.init_centroids(data.X, k, init, seed,
                                                         data.x_squared_norms))
                result = (_inertia(run), run.iteration, run.converged)
                self._remember_run((k, init, seed), result)
                computed += 1
            results.append(result)
        return results

    def _known_run(self, key):
        with self._runs_lock:
            if key in self._runs:
                self._runs.move_to_end(key)
            return self._runs.get(key)

    def _remember_run(self, key, result):
        with self._runs_lock:
            self._runs[key] = result
            while len(self._runs) > self.MAX_RUNS:
                self._runs.popitem(last=False)


def _grown(X, centroids, labels):
    """The centroids plus the point farthest from its own centroid."""
    distances = ((X - centroids[labels]) ** 2).sum(axis=1)
    return np.vstack([centroids, X[np.argmax(distances)]])


# --- Helpers -----------------------------------------------------------------------

def _lloyd(data, start):
    """A throwaway session run from ``start`` (clustering space) until converged."""
    session = Session(data=data, k=len(start), init="manual", seed=0,
                      steps=[Step("init", centroids=np.ascontiguousarray(start))])
    session.run(LLOYD_MAX_ITER)
    return session


def _inertia(session):
    return session.steps[-1].inertia
