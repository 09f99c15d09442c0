"""One assign plus one update through the API against one scikit-learn Lloyd iteration.

Raw MNIST (5,000 × 784), k = 20, measured side by side in one run, alternating,
so that machine noise hits both alike. Prints medians and their ratio (target <= 1).

    python3 bench/bench_engine.py [--repeat 40]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.core import datasets

K = 20


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=40)
    repeat = parser.parse_args().repeat

    # Rate limits off: this steps far faster than a student clicks.
    client = create_app({"RATE_LIMITS_ENABLED": False}).test_client()
    created = client.post("/api/sessions", json={
        "dataset": {"name": "mnist", "pca_components": None}, "k": K, "init": "kmeans++",
        "seed": 0}).get_json()
    session_id = created["id"]
    client.post(f"/api/sessions/{session_id}/init")
    start = np.array(client.get(f"/api/sessions/{session_id}/centroids").get_json()["centroids"])
    data = datasets.load("mnist", {"pca_components": None})
    X = np.ascontiguousarray(data.to_data(data.X))

    def ours():
        assert client.post(f"/api/sessions/{session_id}/assign").status_code == 200
        assert client.post(f"/api/sessions/{session_id}/update").status_code == 200

    def undo():
        client.post(f"/api/sessions/{session_id}/back")
        client.post(f"/api/sessions/{session_id}/back")

    def sklearn_iteration():
        KMeans(K, init=start, n_init=1, max_iter=1, tol=0, algorithm="lloyd").fit(X)

    ours_times, sklearn_times = [], []
    for round_ in range(repeat + 3):
        t0 = time.perf_counter()
        ours()
        t1 = time.perf_counter()
        undo()
        t2 = time.perf_counter()
        sklearn_iteration()
        t3 = time.perf_counter()
        if round_ >= 3:  # warm-up rounds
            ours_times.append(t1 - t0)
            sklearn_times.append(t3 - t2)

    ours_ms = statistics.median(ours_times) * 1e3
    sklearn_ms = statistics.median(sklearn_times) * 1e3
    print(f"raw MNIST {X.shape[0]} x {X.shape[1]}, k = {K}, {repeat} rounds, medians:")
    print(f"  API assign + update (Flask test client, JSON in and out): {ours_ms:8.2f} ms")
    print(f"  scikit-learn KMeans(max_iter=1) Lloyd iteration:          {sklearn_ms:8.2f} ms")
    print(f"  ratio API / scikit-learn: {ours_ms / sklearn_ms:.2f} (target <= 1.00)")


if __name__ == "__main__":
    main()
