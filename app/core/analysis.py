"""What is computed once per data set beyond one run: the elbow curve and seeded runs.

Every number comes from throwaway Sessions run by the engine, so it is the one
a student would reach by stepping, and it agrees with scikit-learn's KMeans.
Long computations are cut into pieces kept for the life of the process: a
caller gives a deadline, checked between the steps of every run, and what is
complete by then is answered; a run cut short is kept apart, never answered as
complete, and asking again goes on from where it stopped.
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
    MAX_UNFINISHED = 16  # seeded runs cut short, kept to go on with

    def __init__(self):
        # Holds no reference to its data set: the cache above is keyed weakly by it.
        self.inertia = []
        self.silhouette = []
        self._best = None  # centroids and labels of the last k's best run
        self._next_k = []  # the next k's runs, some perhaps cut short: paused, without data
        self._elbow_lock = threading.Lock()
        self._runs = OrderedDict()  # (k, init, seed) -> (inertia, iterations, converged)
        self._unfinished = OrderedDict()  # (k, init, seed) -> its run cut short, paused
        self._runs_lock = threading.Lock()

    def elbow(self, data, k_max, deadline):
        """Inertia and silhouette for k = 1 up to ``k_max``, or as far as the deadline
        lets it get. A run is cut short at the deadline and goes on at the next call."""
        with self._elbow_lock:
            while len(self.inertia) < k_max and self._add_next_k(data, deadline):
                pass
            return self.inertia[:k_max], self.silhouette[:k_max]

    def _add_next_k(self, data, deadline):
        """Run the next k's starts on (True when they are all done)."""
        k = len(self.inertia) + 1
        if not self._next_k:
            starts = [engine.init_centroids(data.X, k, "kmeans++", seed, data.x_squared_norms)
                      for seed in range(ELBOW_STARTS)]
            if self._best is not None:
                starts.append(_grown(data.X, *self._best))
            self._next_k = [_paused(_started(data, start)) for start in starts]
        runs = [_resumed(data, paused) for paused in self._next_k]
        if not all([_run_on(run, deadline) for run in runs]):
            self._next_k = [_paused(run) for run in runs]
            return False
        best = min(runs, key=_inertia)
        self._next_k = []
        self._best = (best.centroids, best.labels)
        self.inertia.append(_inertia(best))
        self.silhouette.append(metrics.silhouette(data.X, best.labels))
        return True

    def runs(self, data, k, init, seeds, deadline):
        """(inertia, updates taken, converged) of a seeded run to convergence for each
        of ``seeds`` in turn, as far as the deadline lets it get: a run cut short is
        kept apart, not answered, and goes on at the next call."""
        results = []
        for seed in seeds:
            key = (k, init, seed)
            result = self._known_run(key)
            if result is None:
                paused = self._take_unfinished(key)
                run = _resumed(data, paused) if paused else _started(
                    data, engine.init_centroids(data.X, k, init, seed, data.x_squared_norms))
                if not _run_on(run, deadline):
                    self._keep_unfinished(key, _paused(run))
                    break
                result = (_inertia(run), run.iteration, run.converged)
                self._remember_run(key, result)
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

    def _take_unfinished(self, key):
        """A run cut short, now this caller's alone (two callers never step one run)."""
        with self._runs_lock:
            return self._unfinished.pop(key, None)

    def _keep_unfinished(self, key, run):
        with self._runs_lock:
            self._unfinished[key] = run
            while len(self._unfinished) > self.MAX_UNFINISHED:
                self._unfinished.popitem(last=False)


def _grown(X, centroids, labels):
    """The centroids plus the point farthest from its own centroid."""
    distances = ((X - centroids[labels]) ** 2).sum(axis=1)
    return np.vstack([centroids, X[np.argmax(distances)]])


# --- Helpers -----------------------------------------------------------------------

def _started(data, start):
    """A throwaway session started from ``start`` (clustering space), not yet run."""
    return Session(data=data, k=len(start), init="manual", seed=0,
                   steps=[Step("init", centroids=np.ascontiguousarray(start))])


def _paused(session):
    """A run cut short, kept without its data set (the cache holds none)."""
    return session.k, session.steps, session.labels


def _resumed(data, paused):
    k, steps, labels = paused
    return Session(data=data, k=k, init="manual", seed=0, steps=steps, labels=labels)


def _run_on(session, deadline):
    """Run ``session`` towards convergence (at most LLOYD_MAX_ITER updates) until the
    deadline; True once it is done. Every call takes at least one step, so that a
    run longer than any one request still gets done over several."""
    if _done(session):
        return True
    session.step()
    session.run(LLOYD_MAX_ITER - session.iteration, deadline)
    return _done(session)


def _done(session):
    return session.converged or (session.phase == "assigned"
                                 and session.iteration >= LLOYD_MAX_ITER)


def _inertia(session):
    return session.steps[-1].inertia
