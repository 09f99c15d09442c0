import pytest

from app import create_app
from docker_engine import Engine, readme_commands
from services import RedisServer


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    """A real redis-server on a free loopback port, for a module's tests."""
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="session")
def docker():
    """A Docker engine: the one running, or one started for the tests and stopped after."""
    with Engine() as engine:
        yield engine


@pytest.fixture(scope="session")
def app_image(docker):
    """The image built from the Dockerfile, named as in the README's ``docker build``."""
    builds, _ = readme_commands()
    name = builds[0][builds[0].index("-t") + 1]
    docker.base_image()
    return docker.build(name)


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
