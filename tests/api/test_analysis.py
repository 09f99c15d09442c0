"""The elbow, restarts and exports of a session: right numbers, every step, clear errors."""

import csv
import io

import numpy as np
import pytest
from sklearn.cluster import KMeans

from app.core import analysis
from app import create_app
from app.core import datasets


def three_blobs(seed=5):
    random_state = np.random.RandomState(seed)
    return np.vstack([random_state.normal(centre, 0.3, size=(30, 2))
                      for centre in ((0, 0), (3, 0), (0, 3))]).tolist()


# Custom points: each session on them is a new data set, so its elbow and
# restarts start from a cold cache.
COLD_POINTS = three_blobs()


def elbow(client, session_id, status=200, **query):
    response = client.get(f"/api/sessions/{session_id}/elbow", query_string=query)
    assert response.status_code == status, response.get_json()
    return response.get_json()


ASKS = 10000  # a bound, never reached: every answer takes at least one step


def whole_elbow(client, session_id, k_max):
    """The elbow up to ``k_max``, asked again while incomplete, as the page does: each
    answer takes at least one more step of its runs, however loaded the machine."""
    for _ in range(ASKS):
        curve = elbow(client, session_id, k_max=k_max)
        if curve["complete"]:
            return curve
    pytest.fail(f"the elbow was still incomplete after {ASKS} requests: {curve}")


def restarts(client, session_id, status=200, **query):
    response = client.get(f"/api/sessions/{session_id}/restarts", query_string=query)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def whole_restarts(client, session_id, n, **query):
    """``n`` restarts, asked again while incomplete (each answer steps on)."""
    for _ in range(ASKS):
        found = restarts(client, session_id, n=n, **query)
        if found["complete"]:
            return found
    pytest.fail(f"the restarts were still incomplete after {ASKS} requests: {found}")


# --- The elbow ---------------------------------------------------------------------

ELBOW_SETS = [name for name in datasets.CATALOG if name not in ("mnist", "custom")]


@pytest.mark.parametrize("dataset", [*ELBOW_SETS, {"name": "mnist", "pca_components": 2}])
def test_the_elbow_starts_at_the_total_sum_of_squares_and_never_rises(api, client, dataset):
    created = api.create(dataset, k=2)
    curve = whole_elbow(client, created["id"], k_max=10)
    assert curve["k"] == list(range(1, 11)) and curve["complete"]
    points = np.array(created["points"])
    if created["view_is_space"]:
        total = ((points - points.mean(axis=0)) ** 2).sum()
        assert curve["inertia"][0] == pytest.approx(total, rel=1e-9)
    assert all(later <= earlier for earlier, later in zip(curve["inertia"], curve["inertia"][1:]))
    assert curve["silhouette"][0] is None
    assert all(-1 <= value <= 1 for value in curve["silhouette"][1:])


def test_each_k_of_the_elbow_is_at_least_as_good_as_ten_seeded_scikit_learn_runs(api, client):
    created = api.create("mouse", k=3)
    curve = whole_elbow(client, created["id"], k_max=6)
    X = np.array(created["points"])
    for k, inertia in zip(curve["k"], curve["inertia"]):
        best = min(KMeans(k, n_init=1, random_state=seed, algorithm="lloyd", tol=0).fit(X).inertia_
                   for seed in range(10))
        assert inertia <= best * (1 + 1e-9)


def test_each_k_of_the_elbow_is_scikit_learns_best_of_ten_starts_from_the_same_seed():
    data = datasets.load("mnist", {"pca_components": 2})
    inertia, _ = analysis.DataAnalysis().elbow(data, 5, deadline=float("inf"))
    for k, found in enumerate(inertia, start=1):
        fitted = KMeans(k, n_init=analysis.ELBOW_STARTS, random_state=analysis.ELBOW_SEED,
                        algorithm="lloyd", tol=0).fit(data.X)
        assert found == pytest.approx(fitted.inertia_, rel=1e-12)


def test_restarts_are_scikit_learns_runs_from_the_same_seeds(api, client):
    created = api.create("anisotropic", k=3, init="random", seed=7)
    found = whole_restarts(client, created["id"], n=4)
    X = np.array(created["points"])
    for start in found["starts"]:
        fitted = KMeans(3, init="random", n_init=1, random_state=start["seed"],
                        algorithm="lloyd", tol=0).fit(X)
        assert start["inertia"] == pytest.approx(fitted.inertia_, rel=1e-9)
        assert start["iterations"] in (fitted.n_iter_ - 1, fitted.n_iter_)


def test_the_elbow_of_gaussian_blobs_has_its_best_silhouette_at_the_true_k(api, client):
    curve = whole_elbow(client, api.create("blobs", k=2)["id"], k_max=8)
    assert int(np.argmax(curve["silhouette"][1:])) + 2 == 4


def test_the_elbow_is_computed_once_per_data_set(api, client, monkeypatch):
    first = whole_elbow(client, api.create("moons", k=2)["id"], k_max=5)
    monkeypatch.setattr(analysis, "_LloydRun", lambda *args: pytest.fail("computed again"))
    second = whole_elbow(client, api.create("moons", k=3, seed=9)["id"], k_max=4)
    assert second["inertia"] == first["inertia"][:4]


def asked_until_complete(ask):
    """Answers to ``ask()`` until one is complete (a bounded number of times)."""
    answers = [ask()]
    while not answers[-1]["complete"] and len(answers) < 10000:
        answers.append(ask())
    return answers


def test_an_elbow_out_of_time_answers_what_it_has_and_goes_on_when_asked_again():
    client = create_app({"TESTING": True, "MAX_COMPUTE_SECONDS": 0,
                         "RATE_LIMITS_ENABLED": False}).test_client()
    body = {"dataset": {"name": "custom", "points": COLD_POINTS}, "k": 3}
    session_id = client.post("/api/sessions", json=body).get_json()["id"]
    answers = asked_until_complete(lambda: elbow(client, session_id, k_max=4))
    # Each k's runs are stepped on over several answers; none answers a k half done.
    assert answers[0]["k"] == [] and len(answers) > 4
    assert [answer["complete"] for answer in answers] == [False] * (len(answers) - 1) + [True]
    grown = [answer["k"] for answer in answers]
    assert all(before == after[:len(before)] for before, after in zip(grown, grown[1:]))
    assert grown[-1] == [1, 2, 3, 4]
    whole = analysis.DataAnalysis().elbow(datasets.make_custom(COLD_POINTS), 4,
                                          deadline=float("inf"))
    assert answers[-1]["inertia"] == whole[0] and answers[-1]["silhouette"] == whole[1]


# --- Restarts ----------------------------------------------------------------------

def test_restarts_find_the_best_of_n_seeds_and_include_the_sessions_own(api, client):
    created = api.create("uneven_sizes", k=3, init="random", seed=0)
    state = api.step(created["id"], "run")
    found = whole_restarts(client, created["id"], n=12)
    assert [start["seed"] for start in found["starts"]] == list(range(12))
    assert found["init"] == "random" and found["complete"]
    assert found["starts"][0]["inertia"] == state["inertia"] == found["current"]["inertia"]
    assert found["best"]["inertia"] == min(start["inertia"] for start in found["starts"])
    assert found["best"]["inertia"] < found["current"]["inertia"]  # this seed is a poor one
    assert all(start["converged"] for start in found["starts"])


def test_restarts_can_compare_init_methods_and_default_to_kmeans_plus_plus_for_manual(api, client):
    created = api.create("blobs", k=2, init="manual")
    assert restarts(client, created["id"], n=2)["init"] == "kmeans++"
    assert restarts(client, created["id"], n=2, init="farthest")["init"] == "farthest"
    assert restarts(client, created["id"], n=1)["current"]["inertia"] is None


def test_restarts_out_of_time_answer_what_they_have_and_go_on_when_asked_again():
    client = create_app({"TESTING": True, "MAX_COMPUTE_SECONDS": 0}).test_client()
    body = {"dataset": {"name": "custom", "points": COLD_POINTS}, "k": 3, "seed": 100}
    session_id = client.post("/api/sessions", json=body).get_json()["id"]
    answers = asked_until_complete(lambda: restarts(client, session_id, n=3))
    counts = [len(answer["starts"]) for answer in answers]
    assert counts[0] == 0 and counts == sorted(counts) and counts[-1] == 3 and len(answers) > 3
    assert [answer["complete"] for answer in answers] == [False] * (len(answers) - 1) + [True]


# --- Exports -----------------------------------------------------------------------

def stepped_then_run(api):
    """A session moved by hand for three steps, then run to convergence."""
    created = api.create("mouse", k=3, seed=3)
    seen = [api.step(created["id"], name) for name in ("init", "assign", "update")]
    seen.append(api.step(created["id"], "run"))
    return created, seen


def test_the_json_export_holds_every_step_also_those_taken_by_run(api, client):
    created, seen = stepped_then_run(api)
    final = seen[-1]
    response = client.get(f"/api/sessions/{created['id']}/export.json")
    assert response.headers["Content-Disposition"].startswith("attachment")
    exported = response.get_json()
    steps = exported["steps"]
    assert [step["step"] for step in steps] == [entry["step"] for entry in final["history"]]
    assert len(steps) > 4  # Run added steps of its own
    assert [step["inertia"] for step in steps] == [entry["inertia"] for entry in final["history"]]
    assert [step["centroids"] for step in steps if step["step"] != "assign"] == final["trail"]
    assert steps[0]["labels"] is None and steps[1]["labels"] == seen[1]["labels"]
    assert steps[-1]["labels"] == final["labels"] and steps[-1]["centroids"] == final["centroids"]
    for before, step in zip(steps, steps[1:]):
        assert len(step["labels"]) == created["n_samples"]
        if step["step"] == "update":
            assert step["labels"] == before["labels"]
    assert exported["points"] == created["points"] and exported["truth"] == created["truth"]
    assert exported["dataset"] == created["dataset"] and exported["seed"] == 3


def test_the_json_export_labels_are_those_each_assignment_showed(api, client):
    created = api.create("blobs", k=4, init="random", seed=1)
    shown = []
    state = api.step(created["id"], "init")
    while not state["converged"]:
        state = api.step(created["id"], "step")
        if state["history"][-1]["step"] == "assign":
            shown.append(state["labels"])
    exported = client.get(f"/api/sessions/{created['id']}/export.json").get_json()
    assert [step["labels"] for step in exported["steps"] if step["step"] == "assign"] == shown


def test_the_csv_export_has_a_row_for_every_point_with_its_cluster_now(api, client):
    created, seen = stepped_then_run(api)
    response = client.get(f"/api/sessions/{created['id']}/export.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["x", "y", "truth", "cluster"]
    assert len(rows) == 1 + created["n_samples"]
    assert [[float(x), float(y)] for x, y, _, _ in rows[1:]] == created["points"]
    assert [int(truth) for _, _, truth, _ in rows[1:]] == created["truth"]
    assert [int(cluster) for *_, cluster in rows[1:]] == seen[-1]["labels"]


def test_the_csv_export_leaves_cluster_and_truth_empty_when_there_are_none(api, client):
    created = api.create({"name": "custom", "points": [[0, 0], [1, 1]]}, k=1)
    rows = list(csv.DictReader(io.StringIO(
        client.get(f"/api/sessions/{created['id']}/export.csv").get_data(as_text=True))))
    assert [(row["truth"], row["cluster"]) for row in rows] == [("", ""), ("", "")]


def test_exports_of_a_new_session_hold_no_steps(api, client):
    created = api.create("moons", k=2)
    assert client.get(f"/api/sessions/{created['id']}/export.json").get_json()["steps"] == []


# --- Bad requests ------------------------------------------------------------------

BAD_QUERIES = [
    ("elbow", "k_max=0", "k_max=0 should be between 1 and 50"),
    ("elbow", "k_max=-3", "k_max=-3 should be between 1 and 50"),
    ("elbow", "k_max=51", "k_max=51 should be between 1 and 50"),
    ("elbow", "k_max=abc", "k_max must be an integer, got 'abc'"),
    ("elbow", "k_max=2.5", "k_max must be an integer, got '2.5'"),
    ("elbow", "k_max=", "k_max must be an integer, got ''"),
    ("elbow", "k_max=" + "9" * 40, "k_max must be an integer"),
    ("elbow", "kmax=3", "unknown field 'kmax' in the query"),
    ("elbow", "k_max=５", "k_max must be an integer, got '５'"),
    ("elbow", "k_max=٣", "k_max must be an integer, got '٣'"),
    ("elbow", "k_max=2&k_max=abc", "k_max is given 2 times in the query; give it once"),
    ("elbow", "k_max=2&k_max=3", "k_max is given 2 times in the query; give it once"),
    ("restarts", "n=2&n=3", "n is given 2 times in the query; give it once"),
    ("restarts", "n=0", "n=0 should be between 1 and 50"),
    ("restarts", "n=51", "n=51 should be between 1 and 50"),
    ("restarts", "n=ten", "n must be an integer, got 'ten'"),
    ("restarts", "init=manual", 'init="manual" is not one of'),
    ("restarts", "init=best", 'init="best" is not one of'),
    ("restarts", "seed=3", "unknown field 'seed' in the query"),
    ("export.json", "steps=all", "unknown field 'steps' in the query"),
    ("export.csv", "columns=x", "unknown field 'columns' in the query"),
]


@pytest.mark.parametrize("endpoint, query, message", BAD_QUERIES)
def test_bad_query_parameters_are_refused_with_400_json(api, client, endpoint, query, message):
    session_id = api.create("blobs", k=2)["id"]
    response = client.get(f"/api/sessions/{session_id}/{endpoint}?{query}")
    assert response.status_code == 400
    assert response.get_json()["status"] == 400 and message in response.get_json()["error"]


def test_an_elbow_past_the_number_of_points_is_refused(api, client):
    created = api.create({"name": "custom", "points": [[0, 0], [1, 1], [2, 5]]}, k=1)
    assert elbow(client, created["id"], status=400, k_max=4)["error"] == \
        "k_max=4 should be <= n_samples=3"
    assert elbow(client, created["id"])["k"] == [1, 2, 3]  # the default fits the data


@pytest.mark.parametrize("endpoint", ["elbow", "restarts", "export.json", "export.csv"])
def test_an_unknown_session_answers_404_json(client, endpoint):
    response = client.get(f"/api/sessions/nope/{endpoint}")
    assert response.status_code == 404 and "no session" in response.get_json()["error"]


def test_what_was_computed_on_a_data_set_goes_when_the_data_set_goes():
    import gc

    analyses = analysis.Analyses()
    data = datasets.make_custom(COLD_POINTS)
    analyses.of(data).elbow(data, 2, deadline=float("inf"))
    assert data in analyses and len(analyses) == 1
    del data
    gc.collect()
    assert len(analyses) == 0


# --- The deadline, checked inside every run -------------------------------------------

def test_an_elbow_past_its_deadline_answers_no_k_half_done_and_goes_on_where_it_stopped():
    data = datasets.make_custom(COLD_POINTS)
    whole = analysis.DataAnalysis().elbow(data, 3, deadline=float("inf"))
    cut = analysis.DataAnalysis()
    assert cut.elbow(data, 3, deadline=0.0) == ([], [])  # one step of one run, no more
    for calls in range(10000):
        answered = cut.elbow(data, 3, deadline=0.0)
        if len(answered[0]) == 3:
            break
    assert answered == whole


def test_restarts_past_their_deadline_keep_a_run_cut_short_apart_and_answer_it_once_done():
    data = datasets.make_custom(COLD_POINTS)
    seeds = [0, 1, 2]
    whole = analysis.DataAnalysis().runs(data, 3, "random", seeds, deadline=float("inf"))
    cut = analysis.DataAnalysis()
    assert cut.runs(data, 3, "random", seeds, deadline=0.0) == []
    assert cut._runs == {}  # nothing cut short is remembered as a result
    for calls in range(10000):
        answered = cut.runs(data, 3, "random", seeds, deadline=0.0)
        if len(answered) == 3:
            break
    assert answered == whole
    assert not cut._unfinished


# --- What the page is told: progress, and the silhouette's sample ------------------------

def test_an_incomplete_elbow_says_which_k_is_under_way_and_how_many_of_its_starts_are_done():
    client = create_app({"TESTING": True, "MAX_COMPUTE_SECONDS": 0,
                         "RATE_LIMITS_ENABLED": False}).test_client()
    body = {"dataset": {"name": "custom", "points": three_blobs(seed=6)}, "k": 3}
    session_id = client.post("/api/sessions", json=body).get_json()["id"]
    answers = asked_until_complete(lambda: elbow(client, session_id, k_max=2))
    progress = [answer["progress"] for answer in answers]
    assert progress[-1] is None
    assert all(seen["k"] == len(answer["k"]) + 1 and seen["starts"] == analysis.ELBOW_STARTS
               for seen, answer in zip(progress[:-1], answers))
    # The starts of k = 2 are seen getting done, none answered as done before it is.
    done = [seen["starts_done"] for seen in progress[:-1] if seen["k"] == 2]
    assert done == sorted(done) and done[0] < done[-1] < analysis.ELBOW_STARTS


def test_the_silhouette_is_taken_on_a_seeded_sample_the_answer_states(api, client):
    from sklearn.metrics import silhouette_score

    created = api.create({"name": "mnist", "pca_components": 2}, k=3)
    curve = whole_elbow(client, created["id"], k_max=3)
    assert curve["silhouette_sample"] == 2000
    assert "sample of 2,000 of the 5,000 points" in curve["silhouette_note"]
    data = datasets.load("mnist", {"pca_components": 2})
    labels = KMeans(3, n_init=analysis.ELBOW_STARTS, random_state=analysis.ELBOW_SEED,
                    algorithm="lloyd", tol=0).fit(data.X).labels_
    assert curve["silhouette"][2] == pytest.approx(
        silhouette_score(data.X, labels, sample_size=2000, random_state=0), abs=1e-9)
    small = whole_elbow(client, api.create("blobs", k=2)["id"], k_max=2)
    assert small["silhouette_sample"] is None and small["silhouette_note"].startswith(
        "Silhouette on all 100 points")


def test_a_restart_under_way_is_answered_with_its_seed_and_passes_so_far():
    client = create_app({"TESTING": True, "MAX_COMPUTE_SECONDS": 0}).test_client()
    body = {"dataset": {"name": "custom", "points": COLD_POINTS}, "k": 3, "seed": 200}
    session_id = client.post("/api/sessions", json=body).get_json()["id"]
    answers = asked_until_complete(lambda: restarts(client, session_id, n=2))
    running = [answer["running"] for answer in answers]
    assert running[-1] is None and running[0] == {"seed": 200, "passes": 1}
    assert all(seen["seed"] == 200 + len(answer["starts"])
               for seen, answer in zip(running[:-1], answers))


# --- The elbows prepared on disk -------------------------------------------------------

@pytest.fixture
def cache_dir(tmp_path):
    """An app whose prepared data is kept in an empty directory; put back after."""
    yield tmp_path
    create_app({"TESTING": True})


def test_a_prepared_elbow_is_answered_from_disk_without_computing(cache_dir, monkeypatch):
    client = create_app({"TESTING": True, "CACHE_DIR": str(cache_dir)}).test_client()
    data = datasets.load("moons", datasets.defaults("moons"))
    analysis.prepare_elbow(data, 10, cache_dir)
    whole = analysis.DataAnalysis().elbow(data, 10, deadline=float("inf"))
    assert len(client.application.extensions["analyses"]) == 0  # nothing computed in memory

    def computed(*args):
        pytest.fail("computed instead of read from disk")

    monkeypatch.setattr(analysis, "_LloydRun", computed)
    monkeypatch.setattr(analysis.metrics, "silhouette", computed)
    session_id = client.post("/api/sessions", json={"dataset": "moons", "k": 3}).get_json()["id"]
    curve = elbow(client, session_id, k_max=10)
    assert curve["complete"] and (curve["inertia"], curve["silhouette"]) == whole


def test_an_elbow_kept_on_disk_is_read_only_for_the_very_same_points(cache_dir):
    data = datasets.load("moons", datasets.defaults("moons"))
    analysis.prepare_elbow(data, 3, cache_dir)
    other = datasets.load("moons", {**datasets.defaults("moons"), "noise": 0.06})
    found = analysis.DataAnalysis().elbow(other, 3, float("inf"), cache_dir=cache_dir)
    assert found == analysis.DataAnalysis().elbow(other, 3, float("inf"))
    assert found != analysis.DataAnalysis().elbow(data, 3, float("inf"))
