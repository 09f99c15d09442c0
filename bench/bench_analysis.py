"""The elbow and restarts against scikit-learn doing the same clustering, and a prepared
elbow read from disk against a cold one.

Like with like, interleaved in one run so that the machine's noise hits both:

- elbow: for each k, the app's next k (``DataAnalysis.elbow``, 10 k-means++ starts
  run to convergence, then the best's silhouette) against ``KMeans(k, n_init=10,
  random_state=0, tol=0, algorithm="lloyd").fit`` followed by ``silhouette_score``
  with the same seeded sample: the same starts, so the same passes over the data.
  The clustering alone is timed too (the silhouette left out on both sides).
- restarts: ``DataAnalysis.runs`` for seeds 0..n-1 against ``KMeans(n_init=1,
  random_state=seed)`` for each seed.
- cached: the first elbow of each built-in data set at its defaults, read from a
  prepared cache directory by a new process's ``DataAnalysis``, against computing it.

Each is repeated and the medians' ratio printed (target <= 1.1; cached < 5 %), with
the machine's load before and after.

    python3 bench/bench_analysis.py [--repeat 3] [--data raw|pca2] [--k-max 10] [--restarts 10]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# The app first: it sets how scikit-learn's OpenMP threads wait, for both sides.
from app import create_app  # noqa: E402
from app.core import analysis, datasets, metrics  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.metrics import silhouette_score  # noqa: E402

from record import load_average, record  # noqa: E402

DATA = {"raw": {"pca_components": None}, "pca2": {"pca_components": 2}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", choices=DATA, default="raw", help="MNIST raw pixels or 2 PCs")
    parser.add_argument("--k-max", type=int, default=10)
    parser.add_argument("--restarts", type=int, default=10)
    args = parser.parse_args()
    create_app({"TESTING": True})
    load_before = load_average()
    print(f"load before: {_load()}")
    data = datasets.load("mnist", DATA[args.data])
    what = f"MNIST {data.n_samples} x {data.n_features} ({args.data})"

    ours, theirs, ours_alone, theirs_alone = [], [], [], []
    for _ in range(args.repeat):
        times = _elbow_side_by_side(data, args.k_max)
        ours.append(times[0])
        theirs.append(times[1])
        ours_alone.append(times[2])
        theirs_alone.append(times[3])
    print(f"{what}, elbow k = 1..{args.k_max}, {analysis.ELBOW_STARTS} k-means++ starts each, "
          f"{args.repeat} rounds, medians:")
    figures = {"clustering_ratio": _ratio("  clustering: app", ours_alone,
                                          "KMeans(k, n_init=10).fit", theirs_alone, 1.1),
               "with_silhouette_ratio": _ratio("  with the silhouette: app", ours,
                                               "fit + silhouette_score", theirs, 1.1),
               "clustering_s": round(statistics.median(ours_alone), 3),
               "scikit_learn_clustering_s": round(statistics.median(theirs_alone), 3)}

    ours, theirs = [], []
    for _ in range(args.repeat):
        times = _restarts_side_by_side(data, args.restarts)
        ours.append(times[0])
        theirs.append(times[1])
    print(f"{what}, {args.restarts} restarts (k = 10, k-means++, seeds 0..{args.restarts - 1}):")
    figures["restarts_ratio"] = _ratio("  app", ours, f"{args.restarts} x KMeans(10, n_init=1).fit",
                                       theirs, 1.1)

    cached, cold = _cached_against_cold()
    print(f"built-in data sets at their defaults, first elbow k = 1..10:")
    figures["cached_ratio"] = _ratio("  read from the prepared cache", [cached], "computed cold",
                                     [cold], 0.05)
    figures["rounds"] = args.repeat
    print(f"load after: {_load()}")
    ratios = [figures[key] for key in ("clustering_ratio", "with_silhouette_ratio",
                                       "restarts_ratio")]
    record(f"analysis-{args.data}", title=f"The elbow and restarts: {what}",
           command="python3 bench/bench_analysis.py" + ("" if args.data == "raw"
                                                        else f" --data {args.data}"),
           what=f"The elbow (k = 1 to {args.k_max}, each k {analysis.ELBOW_STARTS} k-means++ "
                "starts to convergence) against KMeans(k, n_init=10, random_state=0, tol=0).fit, "
                "alone and with the silhouette; restarts against KMeans(n_init=1) fits with the "
                "same seeds; every built-in data set's first elbow read from the prepared cache "
                "against computed cold. Medians of the rounds.",
           target="at most 1.1; cached under 5 %",
           met=max(ratios) <= 1.1 and figures["cached_ratio"] < 0.05,
           summary=f"clustering {figures['clustering_ratio']:.2f}, with the silhouette "
                   f"{figures['with_silhouette_ratio']:.2f}, restarts "
                   f"{figures['restarts_ratio']:.2f}; cached against cold "
                   f"{figures['cached_ratio']:.3f}",
           figures=figures, load=[load_before, load_average()])


def _elbow_side_by_side(data, k_max):
    """Seconds for the whole elbow, each side, k by k in turn; with and without silhouettes."""
    ours = theirs = ours_alone = theirs_alone = 0.0
    computed = analysis.DataAnalysis()
    alone = analysis.DataAnalysis()
    silhouette = metrics.silhouette
    for k in range(1, k_max + 1):
        # Each side first every other k, so that neither always runs on a warmer machine.
        if k % 2:
            ours += _timed(lambda: computed.elbow(data, k, float("inf")))
        theirs += _timed(lambda: _sklearn_k(data, k, with_silhouette=True))
        if not k % 2:
            ours += _timed(lambda: computed.elbow(data, k, float("inf")))
        metrics.silhouette = lambda X, labels: None
        try:
            if k % 2:
                ours_alone += _timed(lambda: alone.elbow(data, k, float("inf")))
            theirs_alone += _timed(lambda: _sklearn_k(data, k, with_silhouette=False))
            if not k % 2:
                ours_alone += _timed(lambda: alone.elbow(data, k, float("inf")))
        finally:
            metrics.silhouette = silhouette
    fitted = KMeans(k_max, n_init=analysis.ELBOW_STARTS, random_state=analysis.ELBOW_SEED,
                    tol=0, algorithm="lloyd").fit(data.X)
    if not np.isclose(computed.inertia[-1], fitted.inertia_, rtol=1e-12):
        print(f"  WARNING: k = {k_max}: {computed.inertia[-1]} against {fitted.inertia_}")
    return ours, theirs, ours_alone, theirs_alone


def _sklearn_k(data, k, with_silhouette):
    fitted = KMeans(k, n_init=analysis.ELBOW_STARTS, random_state=analysis.ELBOW_SEED, tol=0,
                    algorithm="lloyd").fit(data.X)
    if with_silhouette and k > 1:
        silhouette_score(data.X, fitted.labels_, random_state=metrics.SILHOUETTE_SEED,
                         sample_size=metrics.silhouette_sample(data.n_samples))


def _restarts_side_by_side(data, n, k=10):
    ours = theirs = 0.0
    computed = analysis.DataAnalysis()
    for seed in range(n):
        if seed % 2:
            ours += _timed(lambda: computed.runs(data, k, "kmeans++", [seed], float("inf")))
        theirs += _timed(lambda: KMeans(k, n_init=1, random_state=seed, tol=0,
                                        algorithm="lloyd").fit(data.X))
        if not seed % 2:
            ours += _timed(lambda: computed.runs(data, k, "kmeans++", [seed], float("inf")))
    return ours, theirs


def _cached_against_cold():
    """Seconds for every built-in data set's first elbow: read from disk, and computed."""
    cached = cold = 0.0
    with tempfile.TemporaryDirectory() as directory:
        for name in datasets.BUILT_IN:
            data = datasets.load(name, datasets.defaults(name))
            k_max = min(10, data.n_samples)
            cold += _timed(lambda: analysis.DataAnalysis().elbow(data, k_max, float("inf")))
            analysis.prepare_elbow(data, k_max, directory)
            cached += _timed(lambda: analysis.DataAnalysis().elbow(
                data, k_max, float("inf"), cache_dir=directory))
    return cached, cold


def _ratio(ours_name, ours, theirs_name, theirs, target):
    ours, theirs = statistics.median(ours), statistics.median(theirs)
    print(f"{ours_name} {ours:8.3f} s against {theirs_name} {theirs:8.3f} s: "
          f"ratio {ours / theirs:.3f} (target <= {target})")
    return round(ours / theirs, 3)


def _timed(action):
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _load():
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


if __name__ == "__main__":
    main()
