"""The app in this process and its Flask test client, for the API tests."""

import pytest

from app import create_app


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
