"""Memory per session on a 1,000-point blobs data set, against one copy of the data set.

Sessions share their data set, so a session should cost a few KiB: its labels
(one byte a point) and a few centroids per step. Measured with tracemalloc in
one run, for sessions just created and for sessions run to convergence.

    python3 bench/bench_memory.py [--sessions 1000]
"""

import argparse
import gc
import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.core import datasets  # noqa: E402
from record import record  # noqa: E402

DATASET = {"name": "blobs", "n_samples": 1000}
FEW_KIB = 16  # the target: a session costs a few KiB, not a copy of its data set


def held_by(action):
    """Bytes still allocated after ``action`` runs, garbage collected."""
    gc.collect()
    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    kept = action()
    gc.collect()
    after, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return after - before, kept


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    count = parser.parse_args().sessions
    app = create_app({"RATE_LIMITS_ENABLED": False, "MAX_SESSIONS": 10 * count})
    client = app.test_client()
    client.post("/api/sessions", json={"dataset": DATASET, "k": 4})  # build the data set once

    def create(run):
        ids = []
        for seed in range(count):
            session_id = client.post("/api/sessions", json={
                "dataset": DATASET, "k": 4, "seed": seed}).get_json()["id"]
            if run:
                client.post(f"/api/sessions/{session_id}/run")
            ids.append(session_id)
        return ids

    fresh, _ = held_by(lambda: create(run=False))
    ran, ids = held_by(lambda: create(run=True))
    store = app.extensions["session_store"]
    steps = sum(len(store.get(i).steps) for i in ids) / len(ids)

    params = {key: spec["default"] for key, spec in datasets.CATALOG["blobs"]["params"].items()}
    data_bytes, _ = held_by(lambda: datasets.make_blobs(**{**params, "n_samples": 1000}))

    print(f"{count} sessions on blobs with 1,000 points, k = 4:")
    print(f"  one copy of the data set:            {data_bytes / 1024:8.1f} KiB")
    print(f"  a new session:                       {fresh / count / 1024:8.2f} KiB"
          f"  ({fresh / count / data_bytes:.3f} of a data set copy)")
    print(f"  a session run to convergence "
          f"({steps:.0f} steps): {ran / count / 1024:8.2f} KiB"
          f"  ({ran / count / data_bytes:.3f} of a data set copy)")
    new_kib, ran_kib, data_kib = fresh / count / 1024, ran / count / 1024, data_bytes / 1024
    record("memory", title="Memory of a session", command="python3 bench/bench_memory.py",
           what="The memory of a session on 1,000-point blobs (k = 4), new and run to "
                "convergence, against one copy of its data set, which sessions share "
                f"(tracemalloc, {count} sessions).",
           target=f"a few KiB a session (under {FEW_KIB} KiB run to convergence)",
           met=ran_kib < FEW_KIB,
           summary=f"{new_kib:.2f} KiB new, {ran_kib:.2f} KiB run to convergence "
                   f"({steps:.0f} steps), against {data_kib:.1f} KiB for the data set",
           figures={"new_session_kib": round(new_kib, 2), "converged_session_kib": round(ran_kib, 2),
                    "steps": round(steps, 1), "data_set_kib": round(data_kib, 1),
                    "sessions": count})


if __name__ == "__main__":
    main()
