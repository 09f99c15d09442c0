"""One assign plus one update through the API against scikit-learn's marginal Lloyd iteration.

scikit-learn's iteration is taken inside a run, not with its set-up: (time of
``KMeans(max_iter=21).fit`` - time of ``KMeans(max_iter=1).fit``) / 20, tol=0,
from the same starting centroids. The API's assign + update go through the Flask
test client (JSON in and out, the in-memory store), two ways: as the page asks
(each answer with the look-ahead, the next step worked out, and packed labels;
each step sent with the version it is taken from, If-Match, so that an Update's
answer leaves out the labels the page has, and with no body, Content-Length: 0),
and as plain JSON (no look-ahead, labels as a list). All are timed in turn,
round after round, so that the machine's noise hits them alike; medians are
printed with their ratios (target <= 2 on MNIST, goal 1; <= 3 on 100,000
points), then where the API's time goes.

    python3 bench/bench_engine.py [--repeat 30] [--points 100000]

Without ``--points``: raw MNIST (5,000 x 784), k = 20. With it: that many
two-dimensional custom points (seeded blobs), k = 12.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# The app first: it sets how scikit-learn's OpenMP threads wait, for both sides.
from app import create_app  # noqa: E402
from app.core import engine, kernel, metrics  # noqa: E402
from app.services.sessions import PrecomputedSteps  # noqa: E402
from app.stores.base import Versioned  # noqa: E402
from app.web import presentation  # noqa: E402

import numpy as np  # noqa: E402
import orjson  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.datasets import make_blobs  # noqa: E402
from threadpoolctl import threadpool_info  # noqa: E402

from record import record  # noqa: E402

LONG_RUN = 21  # iterations of the long fit; the short one takes 1
WARM_UP = 3


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--points", type=int, default=None,
                        help="two-dimensional custom points instead of raw MNIST")
    args = parser.parse_args()

    client, session_id, X, start, what = _session(args.points)
    target = 2.0 if args.points is None else 3.0
    steps_ms, iteration_ms, n_iter = _side_by_side(client, session_id, X, start, args.repeat)
    print(f"{what}, {args.repeat} rounds, medians:")
    print(f"  scikit-learn Lloyd iteration inside a run "
          f"((fit {LONG_RUN} - fit 1) / {LONG_RUN - 1}):       {iteration_ms:8.2f} ms")
    for way, step_ms in steps_ms.items():
        print(f"  API assign + update, {way}:")
        print(f"    {step_ms:8.2f} ms, ratio API / scikit-learn: {step_ms / iteration_ms:.2f} "
              f"(target <= {target:.2f})")
    if n_iter != LONG_RUN:
        print(f"  WARNING: the long fit converged after {n_iter} iterations, not {LONG_RUN}")
    _where_the_time_goes(client, session_id, args.repeat)
    blas = [f"{lib['internal_api']} {lib.get('architecture', '')} ({lib['num_threads']} threads)"
            for lib in threadpool_info()]
    print(f"  kernels: {'; '.join(blas)}")
    page, plain = (steps_ms[way] for way in WAYS)
    record("engine-mnist" if args.points is None else f"engine-{args.points}-points",
           title=f"A step through the API: {what}",
           command="python3 bench/bench_engine.py" + (
               "" if args.points is None else f" --points {args.points}"),
           what="One assign plus one update through the API (Flask test client, JSON in and "
                "out) against scikit-learn's Lloyd iteration inside a run from the same start "
                f"((fit {LONG_RUN} - fit 1) / {LONG_RUN - 1}, tol=0), as the page asks "
                "(look-ahead, packed labels, If-Match) and as plain JSON; medians of "
                f"{args.repeat} interleaved rounds.",
           target=f"ratio at most {target:g}", met=page / iteration_ms <= target,
           summary=f"ratio {page / iteration_ms:.2f} as the page asks ({page:.2f} ms against "
                   f"{iteration_ms:.2f} ms), {plain / iteration_ms:.2f} as plain JSON",
           figures={"ratio": round(page / iteration_ms, 3),
                    "plain_json_ratio": round(plain / iteration_ms, 3),
                    "api_ms": round(page, 3), "plain_json_ms": round(plain, 3),
                    "scikit_learn_iteration_ms": round(iteration_ms, 3),
                    "kernels": "; ".join(blas)})


def _session(points):
    """A stepped session's client and id, its data in the data's own coordinates, the start."""
    config = {"RATE_LIMITS_ENABLED": False}  # this steps far faster than a student clicks
    if points is None:
        k, dataset = 20, {"name": "mnist", "pca_components": None}
        what = "raw MNIST 5000 x 784, k = 20"
    else:
        k = 12
        blobs, _ = make_blobs(points, centers=k, cluster_std=1.5, random_state=0)
        dataset = {"name": "custom", "points": blobs.tolist()}
        config.update(MAX_POINTS=points, MAX_CONTENT_LENGTH=64 * 1024 * 1024)
        what = f"{points} custom 2-D points, k = {k}"
    client = create_app(config).test_client()
    while True:  # MNIST is prepared at start-up, in the background: 503 until it is ready
        answer = client.post("/api/sessions", json={"dataset": dataset, "k": k,
                                                    "init": "kmeans++", "seed": 0})
        if answer.status_code != 503:
            break
        time.sleep(1)
    assert answer.status_code == 201, answer.get_json()
    session_id = answer.get_json()["id"]
    client.post(f"/api/sessions/{session_id}/init")
    start = np.array(client.get(f"/api/sessions/{session_id}/centroids").get_json()["centroids"])
    data = _data(client, session_id)
    return client, session_id, np.ascontiguousarray(data.to_data(data.X)), start, what


# Each way of asking: its query string, and whether each step names the version it is
# taken from (If-Match). The page asks for the look-ahead and packed arrays, and names
# the version, so an Update's answer leaves out the labels it has; an API user or a
# notebook by default gets neither, and JSON lists.
WAYS = {"as the page asks (?ahead=1&packed=1, If-Match)": ("?ahead=1&packed=1", True),
        "as plain JSON (no look-ahead, labels as a list)": ("", False)}


# A step's POST has no body, and says so, as a browser's fetch does (the Fetch standard
# sends Content-Length: 0 with a POST that has none); Flask's test client would say nothing.
NO_BODY = {"Content-Length": "0"}


def _side_by_side(client, session_id, X, start, repeat):
    """Median ms of the API's assign + update, each way of asking, and of scikit-learn's
    marginal iteration."""
    def step(way):
        asked, from_version = way
        # The page has the answer before the click, which asked the same way.
        shown = client.get(f"/api/sessions/{session_id}{asked}")
        assert shown.status_code == 200

        def post(name, answer_before):
            headers = dict(NO_BODY, **({"If-Match": answer_before.headers["ETag"]}
                                       if from_version else {}))
            answer = client.post(f"/api/sessions/{session_id}/{name}{asked}", headers=headers)
            assert answer.status_code == 200
            return answer

        return _timed(lambda: post("update", post("assign", shown)))

    def undo():
        client.post(f"/api/sessions/{session_id}/back")
        client.post(f"/api/sessions/{session_id}/back")

    def fit(max_iter):
        return KMeans(len(start), init=start, n_init=1, max_iter=max_iter, tol=0,
                      algorithm="lloyd").fit(X)

    steps, iterations, n_iter = {way: [] for way in WAYS}, [], None
    for round_ in range(repeat + WARM_UP):
        for way, asked in WAYS.items():
            step_s = step(asked)
            undo()
            if round_ >= WARM_UP:
                steps[way].append(step_s)
        short_s = _timed(lambda: fit(1))
        long_s = _timed(lambda: fit(LONG_RUN))
        if round_ >= WARM_UP:
            iterations.append((long_s - short_s) / (LONG_RUN - 1))
    n_iter = fit(LONG_RUN).n_iter_
    return ({way: statistics.median(times) * 1e3 for way, times in steps.items()},
            statistics.median(iterations) * 1e3, n_iter)


def _where_the_time_goes(client, session_id, repeat):
    """The parts of an assign + update, timed apart on the same session."""
    session = _stored(client, session_id).copy()
    data = session.data
    centroids = session.centroids
    assigned = session.copy()
    assigned.assign()
    labels, _, update = engine.iterate(data.X, centroids)

    def inertias():
        with kernel.lloyd_kernel(data.X) as lloyd:
            return lloyd.inertias(centroids, labels, update.centroids, labels)

    parts = {
        "engine.iterate (the kernel's pass, both inertias)":
            lambda: engine.iterate(data.X, centroids),
        "  of which both inertias (app.core.kernel, one pass)": inertias,
        "engine.assign alone (labels and inertia)": lambda: engine.assign(data.X, centroids),
        "Session.assign (iterate, labels kept)": lambda: session.copy().assign(),
        "Session.update (after an assign)": lambda: assigned.copy().update(),
        "the look-ahead's assign after an update (PrecomputedSteps.preview)":
            lambda: PrecomputedSteps().preview(Versioned(1, _updated(assigned))),
        "presentation.state() after an update": lambda: presentation.state(_updated(assigned)),
        "  of which the labels as a list": lambda: assigned.labels.tolist(),
        "  packed instead (?packed=1)": lambda: presentation.state(_updated(assigned),
                                                                   packed=True),
        "  of which the metrics": lambda: metrics.against_truth(assigned.labels,
                                                                data.true_classes, session.k),
        "JSON of that state (orjson)": lambda: orjson.dumps(
            presentation.state(_updated(assigned)), option=orjson.OPT_SERIALIZE_NUMPY),
    }
    print("  where the API's time goes (medians, ms):")
    for name, part in parts.items():
        times = [_timed(part) for _ in range(max(repeat, 10))]
        print(f"    {name:56s} {statistics.median(times) * 1e3:8.2f}")


def _updated(assigned):
    session = assigned.copy()
    session.update()
    return session


def _timed(action):
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _stored(client, session_id):
    return client.application.extensions["session_store"].get(session_id)


def _data(client, session_id):
    return _stored(client, session_id).data


if __name__ == "__main__":
    main()
