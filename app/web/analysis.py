"""Judging a session's clustering beyond its own run: the elbow, restarts, and exports.

The numbers come from ``app.core.analysis``. A request stops starting new pieces
after ``MAX_COMPUTE_SECONDS`` and answers what it has with ``"complete": false``;
asking again goes on from there.
"""

import csv
import io
import re
import time

from flask import Blueprint, Response, current_app, jsonify, request

from app.core import datasets, engine
from app.core.analysis import ELBOW_STARTS, SEEDED_INITS, analysis_of
from app.web import validation
from app.web.errors import ApiError
from app.web.sessions import find_session

bp = Blueprint("analysis", __name__, url_prefix="/api")

DEFAULT_K_MAX = 10
DEFAULT_RESTARTS = 10
MAX_RESTARTS = 50


@bp.get("/sessions/<session_id>/elbow")
def elbow(session_id):
    validation.only_fields(request.args, ("k_max",), where="the query")
    data = find_session(session_id).data
    max_k = current_app.config["MAX_K"]
    k_max = _query_integer("k_max", min(DEFAULT_K_MAX, max_k, data.n_samples), 1, max_k)
    if k_max > data.n_samples:
        raise ApiError(400, f"k_max={k_max} should be <= n_samples={data.n_samples}")
    inertia, silhouette = analysis_of(data).elbow(data, k_max, _deadline())
    return jsonify(k=list(range(1, len(inertia) + 1)), inertia=inertia, silhouette=silhouette,
                   k_max=k_max, complete=len(inertia) == k_max, starts=ELBOW_STARTS)


@bp.get("/sessions/<session_id>/restarts")
def restarts(session_id):
    validation.only_fields(request.args, ("n", "init"), where="the query")
    session = find_session(session_id)
    n = _query_integer("n", DEFAULT_RESTARTS, 1, MAX_RESTARTS)
    default_init = session.init if session.init in SEEDED_INITS else "kmeans++"
    init = validation.choice(request.args.get("init", default_init), "init", SEEDED_INITS)
    seeds = [(session.seed + offset) % (datasets.SEED_MAX + 1) for offset in range(n)]
    runs = analysis_of(session.data).runs(session.data, session.k, init, seeds, _deadline())
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


@bp.get("/sessions/<session_id>/export.csv")
def export_csv(session_id):
    validation.only_fields(request.args, (), where="the query")
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
