"""Judging a session's clustering beyond its own run: the elbow, restarts, and exports.

Every number comes from throwaway Sessions run by the engine, so it is the one
a student would reach by stepping, and it agrees with scikit-learn's KMeans.
Long computations are cut into pieces kept for the life of the process: a
request stops starting new pieces after ``MAX_COMPUTE_SECONDS`` and answers
what it has with ``"complete": false``; asking again goes on from there.
"""

import csv
import io
import re
import threading
import time
import weakref
from collections import OrderedDict

import numpy as np
from flask import Blueprint, Response, current_app, jsonify, request

from app import datasets, engine, metrics, validation
from app.api import _session
from app.errors import ApiError
from app.session import Session, Step

bp = Blueprint("analysis", __name__, url_prefix="/api")

ELBOW_STARTS = 10  # seeded k-means++ starts for every k of the elbow
LLOYD_MAX_ITER = 300  # scikit-learn's default
DEFAULT_K_MAX = 10
DEFAULT_RESTARTS = 10
MAX_RESTARTS = 50
SEEDED_INITS = tuple(method for method in engine.INIT_METHODS if method != "manual")


@bp.get("/sessions/<session_id>/elbow")
def elbow(session_id):
    validation.only_fields(request.args, ("k_max",), where="the query")
    data = _session(session_id).data
    max_k = current_app.config["MAX_K"]
    k_max = _query_integer("k_max", min(DEFAULT_K_MAX, max_k, data.n_samples), 1, max_k)
    if k_max > data.n_samples:
        raise ApiError(400, f"k_max={k_max} should be <= n_samples={data.n_samples}")
    inertia, silhouette = _analysis(data).elbow(data, k_max, _deadline())
    return jsonify(k=list(range(1, len(inertia) + 1)), inertia=inertia, silhouette=silhouette,
                   k_max=k_max, complete=len(inertia) == k_max, starts=ELBOW_STARTS)


@bp.get("/sessions/<session_id>/restarts")
def restarts(session_id):
    validation.only_fields(request.args, ("n", "init"), where="the query")
    session = _session(session_id)
    n = _query_integer("n", DEFAULT_RESTARTS, 1, MAX_RESTARTS)
    default_init = session.init if session.init in SEEDED_INITS else "kmeans++"
    init = validation.choice(request.args.get("init", default_init), "init", SEEDED_INITS)
    seeds = [(session.seed + offset) % (datasets.SEED_MAX + 1) for offset in range(n)]
    runs = _analysis(session.data).runs(session.data, session.k, init, seeds, _deadline())
    starts = [{"seed": seed, "inertia": inertia, "iterations": iterations, "converged": converged}
              for seed, (inertia, iterations, converged) in zip(seeds, runs)]
    best = min(starts, key=lambda start: start["inertia"])
    last = session.steps[-1] if session.steps else None
    return jsonify(
        k=session.k, init=init, n=n, complete=len(starts) == n, starts=starts,
        best={"seed": best["seed"], "inertia": best["inertia"]},
        current={"seed": session.seed, "init": session.init, "phase": session.phase,
                 "inertia": None if last is None else last.inertia,
                 "converged": session.converged},
    )


@bp.get("/sessions/<session_id>/export.json")
def export_json(session_id):
    validation.only_fields(request.args, (), where="the query")
    session = _session(session_id)
    data = session.data
    document = {
        "dataset": data.describe(), "k": session.k, "init": session.init, "seed": session.seed,
        "points": data.view.tolist(),
        "truth": None if data.truth is None else data.truth.tolist(),
        "truth_names": None if data.truth_names is None else list(data.truth_names),
        "steps": _replay(session),
    }
    response = jsonify(document)
    response.headers["Content-Disposition"] = _attachment(data, "json")
    return response


@bp.get("/sessions/<session_id>/export.csv")
def export_csv(session_id):
    validation.only_fields(request.args, (), where="the query")
    session = _session(session_id)
    data = session.data
    truth = [""] * data.n_samples if data.truth is None else data.truth.tolist()
    clusters = [""] * data.n_samples if session.labels is None else session.labels.tolist()
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["x", "y", "truth", "cluster"])
    writer.writerows([x, y, label, cluster]
                     for (x, y), label, cluster in zip(data.view.tolist(), truth, clusters))
    return Response(text.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": _attachment(data, "csv")})


# --- What is computed once per data set ----------------------------------------------

_analyses = weakref.WeakKeyDictionary()  # Dataset -> DataAnalysis, gone with the data set
_analyses_lock = threading.Lock()


def _analysis(data):
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


def _replay(session):
    """Every step with the centroids and labels standing after it.

    A session keeps only the centroids of each step; the labels of an
    assignment are recomputed from the centroids before it (the same centroids
    give the same labels), and an update leaves them as they were.
    """
    data = session.data
    centroids, labels, replayed = None, None, []
    for step in session.steps:
        if step.kind == "assign":
            assigned, _ = engine.assign(data.X, centroids, data.x_squared_norms)
            labels = assigned.tolist()
        if step.centroids is not None:
            centroids = step.centroids
        replayed.append({
            "step": step.kind,
            "centroids": data.to_view(centroids).tolist(),
            "labels": labels,
            "inertia": step.inertia,
            "changed": step.changed,
            "relocations": [list(pair) for pair in step.relocations],
        })
    return replayed


def _attachment(data, extension):
    return f'attachment; filename="kmeans-{data.name}.{extension}"'


def _deadline():
    return time.monotonic() + current_app.config["MAX_COMPUTE_SECONDS"]


INTEGER = re.compile(r"[+-]?\d{1,18}")


def _query_integer(name, default, minimum, maximum):
    """An integer query parameter (``default`` when absent), within its bounds."""
    text = request.args.get(name)
    if text is None:
        return default
    if not INTEGER.fullmatch(text):
        raise ApiError(400, f"{name} must be an integer, got {text[:40]!r}")
    return validation.integer(int(text), name, minimum, maximum)
