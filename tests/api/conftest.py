"""The app in this process and its Flask test client, for the API tests."""

import threading

import pytest

from app import create_app
from app.core import datasets
from app.core.datasets import mnist


@pytest.fixture
def app():
    return create_app({"TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


class Api:
    """Repeated API actions, asserting the status each time."""

    def __init__(self, client):
        self.client = client

    def create(self, dataset="blobs", k=4, status=201, **fields):
        response = self.client.post("/api/sessions", json={"dataset": dataset, "k": k, **fields})
        assert response.status_code == status, response.get_json()
        return response.get_json()

    def step(self, session_id, name, status=200, **body):
        response = self.client.post(f"/api/sessions/{session_id}/{name}", json=body)
        assert response.status_code == status, response.get_json()
        return response.get_json()

    def show(self, session_id, status=200):
        response = self.client.get(f"/api/sessions/{session_id}")
        assert response.status_code == status, response.get_json()
        return response.get_json()


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def held_preparation(tmp_path, monkeypatch):
    """An app preparing MNIST into an empty cache, held at 35 % until ``release`` is set
    (then answered from the digits prepared for the other tests); the data sets'
    settings put back after."""
    prepared = datasets.load_mnist_arrays(datasets.cache_dir())
    release, held = threading.Event(), threading.Event()

    def load(cache_dir, report=lambda stage, progress: None):
        report("parsing", 0.35)
        held.set()
        assert release.wait(60)
        return prepared

    monkeypatch.setattr(mnist, "load_mnist_arrays", load)
    app = create_app({"TESTING": True, "PREPARE_AT_START": True, "CACHE_DIR": str(tmp_path),
                      "RATE_LIMITS_ENABLED": False})
    assert held.wait(60)
    yield app, release
    release.set()
    app.extensions["datasets"].wait_prepared()
    create_app({"TESTING": True})
