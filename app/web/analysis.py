"""Judging a session's clustering beyond its own run: the elbow, restarts, and exports.

The numbers come from ``app.core.analysis``. A request stops starting new pieces
after ``MAX_COMPUTE_SECONDS`` and answers what it has with ``"complete": false``;
asking again goes on from there.
"""

import csv
import io
import time

from flask import Blueprint, Response, current_app, jsonify

from app.core import datasets, engine, metrics
from app.core.analysis import ELBOW_STARTS, SEEDED_INITS
from app.web import schemas
from app.web.errors import ApiError
from app.web.openapi import NO_SESSION, SESSION
from app.web.operations import operation
from app.web.catalog import DEFAULT_K_MAX, teaching
from app.web.security import rate_limited
from app.web.sessions import find_session, get_analyses, get_datasets

bp = Blueprint("analysis", __name__, url_prefix="/api")

TOO_MANY = "too many elbow or restart requests on this session; wait a moment"


# The elbow and restarts run many whole k-means; cached, but a cold call is costly.
@operation(bp, "get", f"{SESSION}/elbow",
           f"Best inertia of {ELBOW_STARTS} seeded k-means++ starts for each k from 1 to "
           "k_max, with the silhouette of that clustering; cached per data set.",
           answer=schemas.Elbow, query="elbow",
           errors={"400": "Bad k_max.", **NO_SESSION, "429": "Too many analyses."})
@rate_limited("ANALYSIS_LIMIT", TOO_MANY, scope="analysis", per_session=True)
def elbow(session_id, query):
    data = find_session(session_id).data
    k_max = query.k_max
    if k_max is None:
        k_max = min(DEFAULT_K_MAX, current_app.config["MAX_K"], data.n_samples)
    if k_max > data.n_samples:
        raise ApiError(400, f"k_max={k_max} should be <= n_samples={data.n_samples}")
    analysis = get_analyses().of(data)
    # Only the built-in data sets' elbows are prepared on disk (flask prepare).
    prepared = None if data.name == "custom" else get_datasets().cache_dir
    inertia, silhouette = analysis.elbow(data, k_max, _deadline(), cache_dir=prepared)
    complete = len(inertia) == k_max
    return jsonify(k=list(range(1, len(inertia) + 1)), inertia=inertia, silhouette=silhouette,
                   k_max=k_max, complete=complete, starts=ELBOW_STARTS,
                   progress=None if complete else analysis.elbow_progress,
                   silhouette_sample=metrics.silhouette_sample(data.n_samples),
                   silhouette_note=_silhouette_note(data.n_samples))


@operation(bp, "get", f"{SESSION}/restarts",
           "Seeded runs to convergence from seeds seed, seed + 1, ...: the best inertia "
           "against the session's current one.", answer=schemas.Restarts, query="restarts",
           errors={"400": "Bad n or init.", **NO_SESSION, "429": "Too many analyses."})
@rate_limited("ANALYSIS_LIMIT", TOO_MANY, scope="analysis", per_session=True)
def restarts(session_id, query):
    session = find_session(session_id)
    n = query.n
    init = query.init or (session.init if session.init in SEEDED_INITS else "kmeans++")
    seeds = [(session.seed + offset) % (datasets.SEED_MAX + 1) for offset in range(n)]
    analysis = get_analyses().of(session.data)
    runs = analysis.runs(session.data, session.k, init, seeds, _deadline())
    starts = [{"seed": seed, "inertia": inertia, "iterations": iterations, "converged": converged}
              for seed, (inertia, iterations, converged) in zip(seeds, runs)]
    best = min(starts, key=lambda start: start["inertia"], default=None)
    running = None
    if len(starts) < n:
        seed = seeds[len(starts)]
        passes = analysis.run_progress(session.k, init, seed)
        running = {"seed": seed, "passes": passes or 0}
    last = session.steps[-1] if session.steps else None
    return jsonify(
        k=session.k, init=init, n=n, complete=len(starts) == n, starts=starts, running=running,
        best=best and {"seed": best["seed"], "inertia": best["inertia"]},
        current={"seed": session.seed, "init": session.init, "phase": session.phase,
                 "inertia": None if last is None else last.inertia,
                 "converged": session.converged},
    )


@operation(bp, "get", f"{SESSION}/export.json", "Every step taken (also by Run) with its "
           "centroids, labels and inertia, and the points.", answer=schemas.Export,
           errors={"400": "Unknown query parameter.", **NO_SESSION})
def export_json(session_id):
    session = find_session(session_id)
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


@operation(bp, "get", f"{SESSION}/export.csv", "One row per point: x, y (view "
           "coordinates), truth, and cluster at the current step (empty before the first "
           "assignment).", errors={"400": "Unknown query parameter.", **NO_SESSION},
           extra={"csv": True})
def export_csv(session_id):
    session = find_session(session_id)
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


# --- Helpers -----------------------------------------------------------------------

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
            assigned, _ = engine.assign(data.X, centroids)
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


def _silhouette_note(n_samples):
    """The sentence beside the elbow saying on how many points the silhouette is taken."""
    words = teaching()["elbow"]
    sample = metrics.silhouette_sample(n_samples)
    if sample is None:
        return words["silhouette_all"].format(n=f"{n_samples:,}")
    return words["silhouette_sample"].format(sample=f"{sample:,}", n=f"{n_samples:,}",
                                             seed=metrics.SILHOUETTE_SEED)


def _deadline():
    return time.monotonic() + current_app.config["MAX_COMPUTE_SECONDS"]

