"""MNIST prepared as the app starts, in the background: a request meanwhile is answered
at once with 503 and how far it has got, never held while the digits are parsed."""

from app import create_app

MNIST = {"dataset": {"name": "mnist", "pca_components": 2}, "k": 10}


def test_an_mnist_session_asked_while_it_is_prepared_is_answered_503_with_its_progress(
        held_preparation, tmp_path):
    app, release = held_preparation
    client = app.test_client()
    response = client.post("/api/sessions", json=MNIST)
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    answer = response.get_json()
    assert answer["preparing"] == {"dataset": "mnist", "stage": "parsing", "progress": 0.35}
    assert "MNIST is being prepared" in answer["error"] and "35%" in answer["error"]
    # Other data sets are served meanwhile.
    assert client.post("/api/sessions", json={"dataset": "blobs", "k": 3}).status_code == 201
    release.set()
    app.extensions["datasets"].wait_prepared()
    created = client.post("/api/sessions", json=MNIST)
    assert created.status_code == 201 and created.get_json()["n_samples"] == 5000


def test_an_app_made_for_tests_prepares_nothing_in_the_background(tmp_path):
    app = create_app({"TESTING": True, "CACHE_DIR": str(tmp_path)})
    try:
        assert app.extensions["datasets"].preparation is None
    finally:
        create_app({"TESTING": True})
