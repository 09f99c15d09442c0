"""What is computed once per data set beyond one run: the elbow curve and seeded runs.

Every run is taken as scikit-learn's ``KMeans(algorithm="lloyd", tol=0)`` takes
it (``_kmeans_single_lloyd``): the same compiled kernel in the same loop, so the
same starts give the same centroids, labels and inertia, at the same cost. The
elbow's k is ``KMeans(k, n_init=ELBOW_STARTS, random_state=ELBOW_SEED)``: its
starts drawn one after the other from one generator, the best kept by the same
rule. Long computations are cut into pieces kept for the life of the process: a
caller gives a deadline, checked between the passes of every run, and what is
complete by then is answered; a run cut short is kept apart, never answered as
complete, and asking again goes on from where it stopped. The elbows of the
built-in data sets at their defaults are prepared once and kept on disk.
"""

import hashlib
import os
import threading
import time
import weakref
from collections import OrderedDict
from pathlib import Path

import numpy as np

from app.core import engine, kernel, metrics

ELBOW_STARTS = 10  # k-means++ starts for every k of the elbow, as KMeans(n_init=10)
ELBOW_SEED = 0  # the elbow's k is KMeans(k, n_init=ELBOW_STARTS, random_state=ELBOW_SEED)
LLOYD_MAX_ITER = 300  # scikit-learn's default
SEEDED_INITS = tuple(method for method in engine.INIT_METHODS if method != "manual")
ELBOW_FILE_VERSION = 2  # raised whenever what an elbow file holds would change


class Analyses:
    """What has been computed on each data set (its ``DataAnalysis``), shared by every
    session on it, for as long as the data set itself is kept (by a data set cache or
    a session). One per app (``app.extensions["analyses"]``): two apps share none."""

    def __init__(self):
        self._kept = weakref.WeakKeyDictionary()  # Dataset -> DataAnalysis
        self._lock = threading.Lock()

    def of(self, data):
        """The data set's analysis, new if none is kept."""
        with self._lock:
            analysis = self._kept.get(data)
            if analysis is None:
                analysis = self._kept[data] = DataAnalysis()
            return analysis

    def __contains__(self, data):
        return data in self._kept

    def __len__(self):
        return len(self._kept)


class DataAnalysis:
    """A data set's elbow curve, grown one k at a time, and the seeded runs asked for.

    Each k of the elbow is the best of ``ELBOW_STARTS`` k-means++ starts, the very
    runs of ``KMeans(k, n_init=ELBOW_STARTS, random_state=ELBOW_SEED, tol=0)``.
    Should that best be worse than k - 1's (rare, and it would make the curve rise),
    one more start is run: k - 1's best centroids plus the point farthest from its
    centroid. Its first assignment is already below k - 1's inertia, and Lloyd's
    steps never raise it, so the curve never rises.
    """

    MAX_RUNS = 1024  # seeded runs remembered
    MAX_UNFINISHED = 16  # seeded runs cut short, kept to go on with

    def __init__(self):
        # Holds no reference to its data set: the cache above is keyed weakly by it.
        self.inertia = []
        self.silhouette = []
        self._best = None  # centroids and labels of the last k's best run
        self._next_k = None  # the next k's starts, some perhaps under way: a _Starts
        self._elbow_lock = threading.Lock()
        self._looked_on_disk = False
        self._read_from_disk = False  # and nothing computed since
        self._runs = OrderedDict()  # (k, init, seed) -> (inertia, iterations, converged)
        self._unfinished = OrderedDict()  # (k, init, seed) -> its _LloydRun cut short
        self._runs_lock = threading.Lock()

    # --- The elbow -----------------------------------------------------------------

    def elbow(self, data, k_max, deadline, cache_dir=None):
        """Inertia and silhouette for k = 1 up to ``k_max``, or as far as the deadline
        lets it get. A run is cut short at the deadline and goes on at the next call.
        With ``cache_dir``, an elbow prepared there for this very data is read first."""
        with self._elbow_lock:
            if cache_dir is not None and not self._looked_on_disk:
                self._looked_on_disk = True
                self._read(data, cache_dir)
            while len(self.inertia) < k_max and self._add_next_k(data, deadline):
                self._read_from_disk = False
            return self.inertia[:k_max], self.silhouette[:k_max]

    @property
    def elbow_progress(self):
        """The k under way and how many of its starts are done, or None."""
        pending = self._next_k
        if pending is None:
            return None
        return {"k": pending.k, "starts_done": pending.done, "starts": ELBOW_STARTS}

    def _add_next_k(self, data, deadline):
        """Run the next k's starts on (True when they are all done): each at least one
        pass, so that every call gets on however short its time."""
        if self._next_k is None:
            self._next_k = _Starts(data, len(self.inertia) + 1)
        pending = self._next_k
        if not all([_go_on(run, data, deadline) for run in pending.runs]):
            return False
        if pending.best is None:
            pending.choose_best()
        if self.inertia and pending.best.inertia > self.inertia[-1]:
            if pending.grown is None:
                pending.grown = _LloydRun(_grown(data.X, *self._best), data.n_samples)
            if not _go_on(pending.grown, data, deadline):
                return False
            pending.best = pending.grown
        best = pending.best
        self._next_k = None
        self._best = (best.centroids, best.labels)
        self.inertia.append(best.inertia)
        self.silhouette.append(metrics.silhouette(data.X, best.labels))
        return True

    # --- The elbow kept on disk ----------------------------------------------------

    def save(self, data, cache_dir):
        """Write the elbow computed so far where ``elbow(..., cache_dir)`` reads it."""
        path = elbow_path(data, cache_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp.npz")
        silhouette = [np.nan if value is None else value for value in self.silhouette]
        np.savez(temporary, inertia=np.array(self.inertia), silhouette=np.array(silhouette),
                 best_centroids=self._best[0], best_labels=self._best[1])
        os.replace(temporary, path)
        return path

    def _read(self, data, cache_dir):
        """The elbow prepared for this data, if there is one (else nothing happens)."""
        try:
            with np.load(elbow_path(data, cache_dir)) as kept:
                inertia, silhouette = kept["inertia"].tolist(), kept["silhouette"].tolist()
                best = (kept["best_centroids"], kept["best_labels"])
        except (OSError, KeyError, ValueError):
            return
        if len(inertia) > len(self.inertia):
            self.inertia = inertia
            self.silhouette = [None if np.isnan(value) else value for value in silhouette]
            self._best, self._next_k = best, None
            self._read_from_disk = True

    # --- Seeded runs ---------------------------------------------------------------

    def runs(self, data, k, init, seeds, deadline):
        """(inertia, updates taken, converged) of a seeded run to convergence for each
        of ``seeds`` in turn, as far as the deadline lets it get: a run cut short is
        kept apart, not answered, and goes on at the next call."""
        results = []
        for seed in seeds:
            key = (k, init, seed)
            result = self._known_run(key)
            if result is None:
                run = self._take_unfinished(key) or _LloydRun(
                    engine.init_centroids(data.X, k, init, seed, data.x_squared_norms),
                    data.n_samples)
                if not _go_on(run, data, deadline):
                    self._keep_unfinished(key, run)
                    break
                result = (run.inertia, run.updates, run.converged)
                self._remember_run(key, result)
            results.append(result)
        return results

    def run_progress(self, k, init, seed):
        """Passes over the data a run cut short has taken, or None if none is kept."""
        with self._runs_lock:
            run = self._unfinished.get((k, init, seed))
            return None if run is None else run.n_iter

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


def elbow_path(data, cache_dir):
    """Where a data set's elbow is kept: named by the bytes of its clustering space, so
    that data changed in any way (a generator, a library) is never answered stale."""
    digest = hashlib.sha256(np.ascontiguousarray(data.X).data).hexdigest()[:20]
    return Path(cache_dir) / f"elbow-v{ELBOW_FILE_VERSION}-{data.name}-{digest}.npz"


def prepare_elbow(data, k_max, cache_dir):
    """A data set's elbow up to ``k_max`` kept in ``cache_dir``: computed now, unless
    it is there already."""
    analysis = DataAnalysis()
    analysis.elbow(data, k_max, deadline=float("inf"), cache_dir=cache_dir)
    if not analysis._read_from_disk:
        analysis.save(data, cache_dir)


# --- One k of the elbow ----------------------------------------------------------------

class _Starts:
    """The starts of one k, drawn in turn from one generator as KMeans(n_init) draws
    them (nothing else draws from it: a run itself is not random)."""

    def __init__(self, data, k):
        self.k = k
        random_state = np.random.RandomState(ELBOW_SEED)
        self.runs = [_LloydRun(kernel.kmeans_plusplus(data.X, k, data.x_squared_norms,
                                                      random_state), data.n_samples)
                     for _ in range(ELBOW_STARTS)]
        self.best = None  # the best run, once they are all done
        self.grown = None  # the start from k - 1's best, if it is needed

    @property
    def done(self):
        return sum(run.done for run in self.runs)

    def choose_best(self):
        """KMeans.fit's rule, in the order of the starts: a lower inertia, and not the
        same clustering renumbered."""
        for run in self.runs:
            best = self.best
            if best is None or (run.inertia < best.inertia and not kernel.same_clustering(
                    run.labels, best.labels, self.k)):
                self.best = run


def _grown(X, centroids, labels):
    """The centroids plus the point farthest from its own centroid."""
    distances = ((X - centroids[labels]) ** 2).sum(axis=1)
    return np.vstack([centroids, X[np.argmax(distances)]])


# --- One run of Lloyd's algorithm, in pieces ------------------------------------------

class _LloydRun:
    """A run from ``start`` as ``_kmeans_single_lloyd`` takes it (tol=0, at most
    LLOYD_MAX_ITER passes), its arrays kept between pieces."""

    def __init__(self, start, n_samples):
        self.centroids = np.array(start, dtype=np.float64, order="C")
        self._new_centroids = np.zeros_like(self.centroids)
        self.labels = np.full(n_samples, -1, dtype=np.int32)
        self._labels_old = self.labels.copy()
        self._weights = np.zeros(len(start))
        self._shift = np.zeros(len(start))
        self.n_iter = 0  # passes over the data, scikit-learn's n_iter_
        self.done = False
        self.converged = False
        self.updates = 0  # the updates a student stepping it would take
        self.inertia = None

    def go_on(self, lloyd, deadline):
        """One pass at least, then passes until done or past ``deadline``; True once done.
        ``lloyd``: the data set's ``kernel.Kernel``."""
        while not self.done:
            lloyd.lloyd_into(self.centroids, self._new_centroids, self._weights, self.labels,
                             self._shift)
            self.n_iter += 1
            old = self.centroids
            self.centroids, self._new_centroids = self._new_centroids, old
            if np.array_equal(self.labels, self._labels_old):
                # Strict convergence: the pass's update is taken only if it moves a
                # centroid (an empty cluster's relocation), as the stepper shows it.
                self.updates = self.n_iter - np.array_equal(self.centroids, old)
                self._finish(lloyd, converged=True)
            elif (self._shift ** 2).sum() <= 0 or self.n_iter >= LLOYD_MAX_ITER:
                # tol=0: no centroid moved, or out of passes. The labels are assigned
                # again to the last centroids, as scikit-learn does.
                lloyd.lloyd_into(self.centroids, self.centroids, self._weights, self.labels,
                                 self._shift, update_centers=False)
                self.updates = self.n_iter
                self._finish(lloyd, converged=self.n_iter < LLOYD_MAX_ITER)
            else:
                self._labels_old[:] = self.labels
                if time.monotonic() > deadline:
                    return False
        return True

    def _finish(self, lloyd, converged):
        self.inertia = lloyd.inertia(self.centroids, self.labels)
        self.done, self.converged = True, converged
        self._new_centroids = self._labels_old = self._weights = self._shift = None


def _go_on(run, data, deadline):
    """Run on with the threads KMeans.fit uses (``kernel.lloyd_kernel``)."""
    if run.done:
        return True
    with kernel.lloyd_kernel(data.X) as lloyd:
        return run.go_on(lloyd, deadline)
