"""The JSON API: a whole run, the catalog, the centroids, and every kind of bad input."""

import re

import numpy as np
import pytest
from sklearn.cluster import KMeans

from app import create_app
from app.core import datasets
from app.settings import BY_NAME

MAX_POINTS = BY_NAME["KMEANS_MAX_POINTS"].default

STATE_FIELDS = {"id", "phase", "iteration", "k", "centroids", "labels", "inertia", "changed",
                "converged", "events", "can_back"}


def test_a_whole_run_through_the_api_matches_sklearn(api):
    created = api.create("blobs", k=4, init="kmeans++", seed=8)
    assert STATE_FIELDS <= set(created)
    assert len(created["points"]) == 100 and len(created["truth"]) == 100
    assert created["phase"] == "new" and created["labels"] is None
    session_id = created["id"]
    state = api.step(session_id, "init")
    assert state["phase"] == "initialized" and "points" not in state
    while not state["converged"]:
        state = api.step(session_id, "assign")
        assert state["phase"] == "assigned"
        if not state["converged"]:
            state = api.step(session_id, "update")
    X = np.array(created["points"])
    reference = KMeans(4, random_state=8).fit(X)
    np.testing.assert_allclose(state["centroids"], reference.cluster_centers_, atol=1e-9)
    assert state["labels"] == reference.labels_.tolist()
    assert state["inertia"] == pytest.approx(reference.inertia_, rel=1e-9)
    assert state["events"][-1]["message"].startswith("Converged")


def test_step_run_back_and_reset(api):
    session_id = api.create("mouse", k=3, init="random", seed=2)["id"]
    assert api.step(session_id, "step")["phase"] == "initialized"
    assert api.step(session_id, "step")["phase"] == "assigned"
    ran = api.step(session_id, "run")
    assert ran["converged"] and ran["can_back"]
    backed = api.step(session_id, "back")
    assert backed["phase"] == "updated" and not backed["converged"]
    assert backed["iteration"] == ran["iteration"]
    again = api.step(session_id, "assign")
    assert again["labels"] == ran["labels"] and again["converged"]
    reset = api.step(session_id, "reset")
    assert reset["phase"] == "new" and reset["centroids"] is None and not reset["can_back"]
    assert len(api.show(session_id)["points"]) == 500


def test_run_with_max_iter_stops_there_like_sklearn(api):
    created = api.create({"name": "blobs", "n_samples": 300, "centers": 5, "cluster_std": 2.0},
                         k=5, init="random", seed=3)
    session_id = created["id"]
    start = api.step(session_id, "init")["centroids"]
    state = api.step(session_id, "run", max_iter=2)
    assert state["iteration"] == 2 and state["phase"] == "assigned"
    reference = KMeans(5, init=np.array(start), n_init=1, max_iter=2, tol=0,
                       algorithm="lloyd").fit(np.array(created["points"]))
    np.testing.assert_allclose(state["centroids"], reference.cluster_centers_, atol=1e-9)
    assert state["labels"] == reference.labels_.tolist()


def test_manual_init_takes_exactly_k_centroids(api):
    session_id = api.create("mouse", k=2, init="manual")["id"]
    state = api.step(session_id, "init", centroids=[[0.1, 0.2], [0.9, 0.8]])
    np.testing.assert_allclose(state["centroids"], [[0.1, 0.2], [0.9, 0.8]], atol=1e-15)


def test_custom_points_with_labels_come_back_as_truth(api):
    points = [[0, 0], [0, 1], [5, 5], [5, 6]]
    created = api.create({"name": "custom", "points": points, "labels": [0, 0, 1, 1]}, k=2)
    assert created["points"] == points and created["truth"] == [0, 0, 1, 1]
    state = api.step(created["id"], "run")
    np.testing.assert_allclose(sorted(state["centroids"]), [[0, 0.5], [5, 5.5]], atol=1e-12)


def test_after_convergence_assign_and_update_answer_200_and_change_nothing(api):
    session_id = api.create("blobs", k=4, seed=8)["id"]
    converged = api.step(session_id, "run")
    assert api.step(session_id, "assign") == converged
    assert api.step(session_id, "update") == converged


def test_get_and_delete_a_session(api, client):
    session_id = api.create("blobs", k=2)["id"]
    assert api.show(session_id)["id"] == session_id
    assert client.delete(f"/api/sessions/{session_id}").status_code == 204
    api.show(session_id, status=404)
    assert client.delete(f"/api/sessions/{session_id}").status_code == 404


def test_mnist_centroids_come_as_28_by_28_images_with_cluster_sizes(api, client):
    created = api.create({"name": "mnist", "pca_components": 20}, k=10, seed=0)
    assert len(created["points"]) == 5000 and created["points"][0].__len__() == 2
    assert sorted(set(created["truth"])) == list(range(10))
    session_id = created["id"]
    assert client.get(f"/api/sessions/{session_id}/centroids").status_code == 409
    api.step(session_id, "init")
    api.step(session_id, "assign")
    first = client.get(f"/api/sessions/{session_id}/centroids").get_json()
    assert first["image_shape"] == [28, 28] and first["dimensions"] == 20
    images = np.array(first["images"])
    assert images.shape == (10, 28, 28) and images.min() >= 0 and images.max() <= 255
    assert sum(first["sizes"]) == 5000
    api.step(session_id, "update")
    second = client.get(f"/api/sessions/{session_id}/centroids").get_json()
    assert not np.allclose(second["images"], first["images"])


def test_raw_mnist_centroid_images_are_the_centroids_themselves(api, client):
    session_id = api.create({"name": "mnist", "pca_components": None}, k=3, seed=1)["id"]
    api.step(session_id, "run", max_iter=1)
    full = client.get(f"/api/sessions/{session_id}/centroids").get_json()
    assert full["dimensions"] == 784
    np.testing.assert_allclose(np.array(full["images"]).reshape(3, 784), full["centroids"],
                               atol=0.05)


def test_the_catalog_lists_every_data_set_with_a_parameter_schema(client):
    catalog = client.get("/api/datasets").get_json()["datasets"]
    by_name = {entry["name"]: entry for entry in catalog}
    assert {"blobs", "mouse", "mnist", "custom"} <= set(by_name)
    blobs = by_name["blobs"]["params"]
    assert blobs["n_samples"]["default"] == 100 and blobs["centers"]["default"] == 4
    assert blobs["cluster_std"]["default"] == 0.5 and blobs["random_state"]["default"] == 0
    assert by_name["mnist"]["params"]["pca_components"]["nullable"] is True


def test_sessions_on_the_same_data_share_one_copy_of_the_points(api, app):
    first = api.create({"name": "blobs", "n_samples": 1000}, k=3)["id"]
    second = api.create({"name": "blobs", "n_samples": 1000}, k=5, seed=4)["id"]
    store = app.extensions["session_store"]
    assert store.get(first).data is store.get(second).data


def test_the_cache_dir_and_size_come_from_the_config_and_its_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("KMEANS_CACHE_DIR", str(tmp_path / "from-env"))
    monkeypatch.setenv("KMEANS_DATASET_CACHE_BYTES", "12345")
    app = create_app({"TESTING": True})
    assert app.config["CACHE_DIR"] == str(tmp_path / "from-env")
    assert app.extensions["datasets"].cache_dir == str(tmp_path / "from-env")
    assert app.extensions["datasets"].cache.max_bytes == 12345
    monkeypatch.delenv("KMEANS_CACHE_DIR")
    monkeypatch.delenv("KMEANS_DATASET_CACHE_BYTES")
    other = create_app({"TESTING": True, "CACHE_DIR": str(tmp_path)})
    assert other.extensions["datasets"].cache_dir == str(tmp_path)
    assert other.extensions["datasets"].cache.max_bytes == datasets.DEFAULT_CACHE_BYTES
    # The first app's settings are its own still: two apps share no data set cache.
    assert app.extensions["datasets"].cache.max_bytes == 12345


def test_two_apps_in_one_process_share_no_cache():
    first, second = create_app({"TESTING": True}), create_app({"TESTING": True})
    for name in ("datasets", "presentation_cache", "query_cache", "session_store",
                 "analyses", "precomputed_steps", "schemas"):
        assert first.extensions[name] is not second.extensions[name], name
    shared = []
    for app in (first, second):
        client = app.test_client()
        created = client.post("/api/sessions", json={"dataset": {"name": "mouse"}, "k": 3})
        assert created.status_code == 201
        assert client.get(f"/api/sessions/{created.get_json()['id']}/elbow?k_max=2").status_code \
            == 200
        shared.append(app.extensions["session_store"].get(created.get_json()["id"]).data)
    assert shared[0] is not shared[1]  # each app built its own
    # Each app's elbow is kept by that app alone.
    assert [len(app.extensions["analyses"]) for app in (first, second)] == [1, 1]
    assert shared[0] not in second.extensions["analyses"]


def test_two_apps_in_one_process_share_no_preparation_of_mnist(tmp_path, monkeypatch):
    from app.core.datasets import mnist

    monkeypatch.setattr(mnist, "load_mnist_arrays", lambda cache_dir, report=None: None)
    monkeypatch.setattr(mnist, "_mnist_with_pca", lambda cache_dir: None)
    apps = [create_app({"TESTING": True, "PREPARE_AT_START": True, "CACHE_DIR": str(tmp_path)})
            for _ in range(2)]
    first, second = (app.extensions["datasets"].preparation for app in apps)
    assert first is not None and second is not None and first is not second
    for app in apps:
        app.extensions["datasets"].wait_prepared()


def test_flask_prepare_fills_the_configured_cache_dir(tmp_path, monkeypatch):
    from app.core import analysis
    from app.core.datasets import mnist

    monkeypatch.setattr(datasets, "BUILT_IN", ("moons", "mouse"))  # every one: a few seconds more
    app = create_app({"TESTING": True, "CACHE_DIR": str(tmp_path)})
    result = app.test_cli_runner().invoke(args=["prepare"])
    assert result.exit_code == 0, result.output
    assert f"prepared MNIST in {tmp_path}" in result.output
    assert "prepared the elbows of 2 data sets at their defaults for k = 1 to 10" in result.output
    assert (tmp_path / mnist.CACHE_FILE).exists()
    for name in ("moons", "mouse"):
        data = app.extensions["datasets"].load(name, datasets.defaults(name))
        assert analysis.elbow_path(data, tmp_path).exists()


def test_the_openapi_document_describes_every_api_route(client, app):
    document = client.get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    routed = {(re.sub(r"<(\w+)>", r"{\1}", rule.rule), method.lower())
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed == documented  # every /api route, and nothing more
    # A new session links to every operation on it but its deletion: steps by their name.
    links = document["paths"]["/api/sessions"]["post"]["responses"]["201"]["links"]
    on_a_session = {operation["operationId"] for path, item in document["paths"].items()
                    if "{session_id}" in path
                    for method, operation in item.items() if method != "delete"}
    assert {link["operationId"] for link in links.values()} == on_a_session
    assert {"assign", "update", "step", "run", "back", "reset", "init", "pick"} <= set(links)


# --- Bad input: a clear JSON error with a 4xx status, never a 500 ----------------------

BAD_CREATIONS = [
    ({"k": 3}, 400, "dataset is required"),
    ({"dataset": "nope", "k": 3}, 400, 'dataset.name="nope" is not one of'),
    ({"dataset": 5, "k": 3}, 400, "dataset must be a name or an object"),
    ({"dataset": {"name": "blobs", "colour": 1}, "k": 3}, 400, "unknown field 'colour'"),
    ({"dataset": {"name": "blobs", "n_samples": True}, "k": 3}, 400,
     "dataset.n_samples must be an integer, got true"),
    ({"dataset": {"name": "blobs", "n_samples": 1.5}, "k": 3}, 400, "must be an integer"),
    ({"dataset": {"name": "blobs", "n_samples": 10**6}, "k": 3}, 400,
     f"dataset.n_samples=1000000 should be between 1 and {MAX_POINTS}"),
    ({"dataset": {"name": "blobs", "cluster_std": "big"}, "k": 3}, 400,
     "dataset.cluster_std must be a number"),
    ({"dataset": {"name": "blobs", "cluster_std": -1}, "k": 3}, 400,
     "dataset.cluster_std=-1 should be between"),
    ({"dataset": {"name": "blobs", "standardize": 1}, "k": 3}, 400, "must be true or false"),
    ({"dataset": {"name": "mnist", "pca_components": 1}, "k": 3}, 400,
     "dataset.pca_components=1 should be between 2 and 784"),
    ({"dataset": "blobs"}, 400, "k is required"),
    ({"dataset": "blobs", "k": 0}, 400, "k=0 should be between 1 and 50"),
    ({"dataset": "blobs", "k": 51}, 400, "k=51 should be between 1 and 50"),
    ({"dataset": "blobs", "k": "4"}, 400, 'k must be an integer, got "4"'),
    ({"dataset": "blobs", "k": True}, 400, "k must be an integer, got true"),
    ({"dataset": {"name": "blobs", "n_samples": 3}, "k": 4}, 400, "k=4 should be <= n_samples=3"),
    ({"dataset": "blobs", "k": 3, "init": "best"}, 400, 'init="best" is not one of'),
    ({"dataset": "blobs", "k": 3, "seed": -1}, 400, "seed=-1 should be between"),
    ({"dataset": "blobs", "k": 3, "seed": None}, 400, "seed must be an integer, got null"),
    ({"dataset": "blobs", "k": 3, "colour": "red"}, 400, "unknown field 'colour'"),
    ({"dataset": {"name": "custom"}, "k": 1}, 400, 'needs "points"'),
    ({"dataset": {"name": "custom", "points": []}, "k": 1}, 400,
     "dataset.points has 0 points"),
    ({"dataset": {"name": "custom", "points": [[1, 2], [3]]}, "k": 1}, 400,
     "dataset.points[1] must be an [x, y] pair"),
    ({"dataset": {"name": "custom", "points": [[1, 2], [3, "a"]]}, "k": 1}, 400,
     "dataset.points[1] must hold two numbers between -1e+09 and 1e+09"),
    ({"dataset": {"name": "custom", "points": [[1, 2], [3, True]]}, "k": 1}, 400,
     "must hold two numbers between"),
    ({"dataset": {"name": "custom", "points": [[1, 2, 3], [4, 5]]}, "k": 1}, 400,
     "dataset.points[1] must hold 3 numbers between -1e+09 and 1e+09, as many as "
     "dataset.points[0], got [4, 5]"),
    ({"dataset": {"name": "custom", "points": [[1, 2, 3], [4, 5, True]]}, "k": 1}, 400,
     "dataset.points[1] must hold 3 numbers"),
    ({"dataset": {"name": "custom", "points": [[1, 2, 3], [4, 5, 2e9]]}, "k": 1}, 400,
     "dataset.points[1] must hold 3 numbers"),
    ({"dataset": {"name": "custom", "points": [[1]]}, "k": 1}, 400,
     "dataset.points[0] must be a point of 2 to 1024 numbers (more than 2 are drawn through "
     "PCA), got [1]"),
    ({"dataset": {"name": "custom", "points": [[0] * 1025]}, "k": 1}, 400,
     "dataset.points[0] must be a point of 2 to 1024 numbers"),
    ({"dataset": {"name": "custom", "points": [[1, 2]] * (MAX_POINTS + 1)}, "k": 1}, 400,
     f"dataset.points has {MAX_POINTS + 1} points; between 1 and {MAX_POINTS}"),
    ({"dataset": {"name": "custom", "points": [[1, 2]], "labels": [0, 1]}, "k": 1}, 400,
     "dataset.labels must be a list of 1 integers"),
    ({"dataset": {"name": "custom", "points": "1,2"}, "k": 1}, 400,
     "dataset.points must be a list"),
]


@pytest.mark.parametrize("body, status, message", BAD_CREATIONS)
def test_bad_session_creation_is_refused_with_a_clear_json_error(client, body, status, message):
    response = client.post("/api/sessions", json=body)
    assert response.status_code == status
    assert response.is_json
    assert response.get_json()["status"] == status
    assert message in response.get_json()["error"]


@pytest.mark.parametrize("raw, message", [
    ("{", "malformed JSON"),
    ('{"dataset": "blobs", "k": NaN}', "NaN is not a number JSON allows"),
    ('{"dataset": {"name": "custom", "points": [[1, Infinity]]}, "k": 1}',
     "Infinity is not a number JSON allows"),
    ("[1, 2]", "the body must be a JSON object, got a list"),
    ('"blobs"', "the body must be a JSON object, got a string"),
    (b"\xff\xfe", "malformed JSON"),
])
def test_malformed_bodies_are_refused_with_400(client, raw, message):
    response = client.post("/api/sessions", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert message in response.get_json()["error"]


def test_a_body_over_the_limit_is_refused_with_413_json(client, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/api/sessions", data=b"[" + b" " * limit + b"]",
                           content_type="application/json")
    assert response.status_code == 413
    assert response.get_json() == {"error": f"request body too large: at most {limit} bytes",
                                   "status": 413}


@pytest.mark.parametrize("step, message", [
    ("assign", "Init first"),
    ("update", "Assign first"),
    ("back", "nothing to undo"),
])
def test_steps_out_of_order_answer_409_with_what_to_do_next(api, client, step, message):
    session_id = api.create("blobs", k=3)["id"]
    response = client.post(f"/api/sessions/{session_id}/{step}")
    assert response.status_code == 409
    assert message in response.get_json()["error"]


def test_a_refused_step_loses_nothing(api, client):
    session_id = api.create("blobs", k=3)["id"]
    state = api.step(session_id, "init")
    assert client.post(f"/api/sessions/{session_id}/update").status_code == 409
    assert client.post(f"/api/sessions/{session_id}/run", json={"max_iter": -1}).status_code == 400
    assert {**api.show(session_id), "points": None, "truth": None,
            "truth_names": None} == {**state, "points": None, "truth": None, "truth_names": None}


@pytest.mark.parametrize("step, body, status, message", [
    ("init", {"centroids": [[0, 0]]}, 400, "only taken with init='manual'"),
    ("run", {"max_iter": 1001}, 400, "max_iter=1001 should be between 0 and 1000"),
    ("run", {"max_iter": "all"}, 400, "max_iter must be an integer"),
    ("run", {"steps": 3}, 400, "unknown field 'steps'"),
    ("assign", {"x": 1}, 400, "unknown field 'x'"),
])
def test_bad_step_bodies_are_refused(api, client, step, body, status, message):
    session_id = api.create("blobs", k=3)["id"]
    response = client.post(f"/api/sessions/{session_id}/{step}", json=body)
    assert response.status_code == status
    assert message in response.get_json()["error"]


@pytest.mark.parametrize("centroids, message", [
    (None, "needs the k=2 starting centroids"),
    ([[0, 0]], "send exactly 2 centroids, one per cluster; got 1"),
    ([[0, 0], [1, float("nan")]], "NaN is not a number JSON allows"),
    ([[0, 0], [1]], "centroids[1] must be an [x, y] pair"),
])
def test_bad_manual_centroids_are_refused(api, client, centroids, message):
    import json

    session_id = api.create("blobs", k=2, init="manual")["id"]
    body = {} if centroids is None else {"centroids": centroids}
    response = client.post(f"/api/sessions/{session_id}/init", data=json.dumps(body),
                           content_type="application/json")
    assert response.status_code in (400, 409)
    assert message in response.get_json()["error"]


@pytest.mark.parametrize("method, path", [
    ("get", "/api/sessions/unknown"),
    ("post", "/api/sessions/unknown/step"),
    ("get", "/api/sessions/unknown/centroids"),
    ("delete", "/api/sessions/unknown"),
])
def test_an_unknown_session_answers_404_json(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 404
    assert "no session 'unknown'" in response.get_json()["error"]


@pytest.mark.parametrize("method, path, status", [
    ("get", "/api/nothing-here", 404),
    ("get", "/no-such-page", 404),
    ("put", "/api/sessions", 405),
    ("get", "/api/sessions/abc/step", 405),
])
def test_unknown_routes_and_methods_answer_json_not_html(client, method, path, status):
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert response.is_json and response.get_json()["status"] == status


def test_the_openapi_document_describes_each_data_set_as_the_catalog_does(client):
    document = client.get("/api/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    variants = schemas["SessionCreate"]["properties"]["dataset"]["anyOf"][1]["oneOf"]
    described = {}
    for variant in variants:
        model = schemas[variant["$ref"].rsplit("/", 1)[1]]
        described[model["properties"]["name"]["const"]] = model["description"]
    catalog = client.get("/api/datasets").get_json()["datasets"]
    assert described == {entry["name"]: entry["description"] for entry in catalog}
    assert len(set(described.values())) == len(catalog)


def test_the_openapi_document_takes_its_limits_from_the_configuration():
    from app import create_app

    client = create_app({"TESTING": True, "MAX_K": 7, "MAX_POINTS": 300, "MAX_CLASSES": 12,
                         "MAX_FOLLOWERS": 34, "MAX_CONTENT_LENGTH": 5678}).test_client()
    document = client.get("/api/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    responses = {path: {method: operation["responses"] for method, operation in item.items()}
                 for path, item in document["paths"].items()}
    assert responses["/api/classes"]["post"]["503"]["description"] == \
        "12 classes are live already."
    assert responses["/api/classes/{code}/events"]["get"]["503"]["description"] == \
        "34 students follow already."
    assert responses["/api/sessions"]["post"]["413"]["description"] == \
        "Body too large: at most 5678 bytes."
    assert schemas["SessionCreate"]["properties"]["k"]["maximum"] == 7
    assert schemas["BlobsDataset"]["properties"]["n_samples"]["maximum"] == 300
    assert schemas["CustomDataset"]["properties"]["points"]["maxItems"] == 300
    refused = client.post("/api/sessions", json={"dataset": "blobs", "k": 8})
    assert refused.get_json()["error"] == "k=8 should be between 1 and 7"


# --- Bad input the parser must catch: each a 4xx in JSON ------------------------------

@pytest.mark.parametrize("raw", [
    b"[" * 100000 + b"]" * 100000,
    b'{"dataset": {"name": "custom", "points": ' + b"[" * 990 + b"]" * 990 + b"}, \"k\": 1}",
    b'{"k": ' + b"[" * 40 + b"]" * 40 + b"}",
])
def test_deeply_nested_json_is_refused_with_400(client, raw):
    response = client.post("/api/sessions", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"].startswith("the JSON is nested too deeply")


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x"])
def test_a_body_not_sent_as_json_is_refused_with_415_saying_the_type(client, content_type):
    body = b'{"dataset": "blobs", "k": 3}'
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = client.post("/api/sessions", data=body, headers=headers)
    assert response.status_code == 415
    assert "Content-Type: application/json" in response.get_json()["error"]


def test_json_with_a_charset_and_steps_sent_without_a_body_are_taken(api, client):
    response = client.post("/api/sessions", data=b'{"dataset": "blobs", "k": 3}',
                           content_type="application/json; charset=utf-8")
    assert response.status_code == 201
    assert client.post(f"/api/sessions/{response.get_json()['id']}/step").status_code == 200


@pytest.mark.parametrize("raw, message", [
    ('{"k": "x", "k": 3, "dataset": "blobs"}', "the key 'k' appears twice in one object"),
    ('{"dataset": {"name": "blobs", "n_samples": 5, "n_samples": 6}, "k": 3}',
     "the key 'n_samples' appears twice in one object"),
])
def test_a_key_given_twice_is_refused(client, raw, message):
    response = client.post("/api/sessions", data=raw, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"] == message


@pytest.mark.parametrize("digits", [4000, 5000])
def test_a_huge_integer_is_refused_plainly_and_never_echoed(client, digits):
    raw = '{"dataset": "blobs", "k": ' + "9" * digits + "}"
    response = client.post("/api/sessions", data=raw, content_type="application/json")
    error = response.get_json()["error"]
    assert response.status_code == 400
    assert error == (f"a number of {digits} digits is too long: the API takes integers of "
                     "at most 20 digits")


def test_a_long_integer_within_the_digits_is_refused_by_its_range_in_few_words(client):
    response = client.post("/api/sessions", json={"dataset": "blobs", "k": 10**19})
    assert response.get_json()["error"] == "k=10000000000000000000 should be between 1 and 50"


def test_a_step_that_takes_no_body_says_so(api, client):
    session_id = api.create("blobs", k=3)["id"]
    response = client.post(f"/api/sessions/{session_id}/assign", json={"x": 1})
    assert response.get_json()["error"] == \
        "unknown field 'x' in the body: this step takes no body fields"


def test_a_query_read_again_is_the_same_reading_and_a_bad_one_is_refused_every_time(
        client, monkeypatch):
    # query.read keeps what a query gave (the page sends the same few with every click):
    # kept readings are frozen, a refusal is not kept, and the readings kept are bounded.
    from pydantic import ValidationError
    from werkzeug.datastructures import MultiDict

    from app.web import query, schemas
    from app.web.errors import ApiError

    with client.application.app_context():
        model = schemas.current().state
        cache = client.application.extensions["query_cache"]
        first = query.read(MultiDict([("ahead", "1"), ("packed", "1")]), model)
        again = query.read(MultiDict([("ahead", "1"), ("packed", "1")]), model)
        assert again is first and (first.ahead, first.packed) == (True, True)
        with pytest.raises(ValidationError):
            first.ahead = False
        assert query.read(MultiDict([("packed", "1"), ("ahead", "0")]), model).ahead is False
        for _ in range(2):
            with pytest.raises(ApiError, match="ahead"):
                query.read(MultiDict([("ahead", "2")]), model)
            with pytest.raises(ApiError, match="given 2 times"):
                query.read(MultiDict([("ahead", "1"), ("ahead", "1")]), model)
        monkeypatch.setattr(query, "CACHED_PER_MODEL", 3)
        monkeypatch.setitem(cache.answers, model, {})  # none cached from other requests
        for ahead in "01":
            for packed in "01":
                for order in (1, -1):
                    query.read(MultiDict([("ahead", ahead), ("packed", packed)][::order]), model)
                    assert 1 <= len(cache.answers[model]) <= 3


@pytest.mark.parametrize("body, sent_as, status", [
    (b"", {"Content-Length": "0"}, 200),  # as a browser sends a POST with no body
    (b"", {}, 200),  # no length said: read, and empty
    (b"{}", {"Content-Type": "application/json"}, 200),
    (b'{"x": 1}', {"Content-Type": "application/json"}, 400),
    (b"[]", {"Content-Type": "application/json"}, 400),
    (b"x=1", {"Content-Type": "application/x-www-form-urlencoded"}, 415),
])
def test_a_step_that_takes_no_body_is_taken_with_an_empty_one_and_refuses_any_other(
        api, client, body, sent_as, status):
    session_id = api.create("blobs", k=3)["id"]
    client.post(f"/api/sessions/{session_id}/init")
    response = client.post(f"/api/sessions/{session_id}/assign", data=body, headers=sent_as)
    assert response.status_code == status, response.get_json()
    assert response.is_json
    assert client.get(f"/api/sessions/{session_id}").get_json()["phase"] == \
        ("assigned" if status == 200 else "initialized")


@pytest.mark.parametrize("method, path", [
    ("post", "/api/sessions"),
    ("get", "/api/sessions/{id}"),
    ("delete", "/api/sessions/{id}"),
    ("get", "/api/sessions/{id}/centroids"),
    ("post", "/api/sessions/{id}/step"),
    ("post", "/api/sessions/{id}/run"),
    ("get", "/api/datasets"),
    ("get", "/api/openapi.json"),
])
def test_an_unknown_query_parameter_is_refused_on_every_endpoint(api, client, method, path):
    session_id = api.create("blobs", k=3)["id"]
    body = {"dataset": "blobs", "k": 3} if path == "/api/sessions" else None
    response = getattr(client, method)(path.format(id=session_id) + "?colour=red", json=body)
    assert response.status_code == 400
    assert response.get_json()["error"].startswith("unknown field 'colour' in the query")


@pytest.mark.parametrize("query, message", [
    ("ahead=1&ahead=0", "ahead is given 2 times in the query; give it once"),
    ("ahead=１", "ahead must be 0 or 1, got '１'"),
])
def test_the_ahead_flag_is_read_by_the_one_rule(api, client, query, message):
    session_id = api.create("blobs", k=3)["id"]
    response = client.get(f"/api/sessions/{session_id}?{query}")
    assert response.status_code == 400 and response.get_json()["error"] == message


def test_an_integral_number_is_an_integer_as_json_schema_says(api):
    assert api.create("blobs", k=3.0)["k"] == 3


def test_every_exception_the_stores_and_the_core_raise_has_a_status_in_the_one_table():
    # A new store exception without a status would leave the server as a 500.
    from app.stores.live import CodeTaken
    from app.core.datasets import NotReady
    from app.core.session import StepRefused
    from app.stores.base import StaleVersion, StoreError
    from app.web.errors import STATUSES

    def subclasses(kind):
        for sub in kind.__subclasses__():
            yield sub
            yield from subclasses(sub)

    raised = set(subclasses(StoreError)) | {StepRefused, NotReady}
    # A 412 holding the state (api._apply); a code drawn again (live.open_class).
    answered_by_the_view = {StaleVersion, CodeTaken}
    assert raised - answered_by_the_view <= set(STATUSES)
    assert all(400 <= status.code < 600 for status in STATUSES.values())


def test_under_testing_an_answer_that_does_not_fit_its_declared_model_fails(client, api,
                                                                           monkeypatch):
    from pydantic import ValidationError

    from app.web import presentation

    session = api.create()
    api.step(session["id"], "init")
    assert client.get(f"/api/sessions/{session['id']}/centroids").status_code == 200
    monkeypatch.setattr(presentation, "full_centroids", lambda session: {"id": session.id})
    with pytest.raises(ValidationError, match="Centroids"):
        client.get(f"/api/sessions/{session['id']}/centroids")
