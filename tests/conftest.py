import threading

import pytest

from app import create_app
from app.core import datasets
from app.core.datasets import mnist
from docker_engine import Engine, deploy_build
from services import RedisServer


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    """A real redis-server on a free loopback port, for a module's tests."""
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


class ImageBuild:
    """The Docker engine and the app's image, made in a background thread from the
    moment the tests are collected: the container tests come last (the files run in
    alphabetical order), and the minutes of a fresh machine's build (the stand-in
    base image's downloads, pip's) overlap the other tests instead of adding to them."""

    def __init__(self):
        self.engine = Engine()
        self.started = threading.Event()  # the engine answers (or failed to start)
        self.thread = None
        self.image = self.error = None

    def begin(self):
        if self.thread is None:
            self.thread = threading.Thread(target=self._build, name="image-build", daemon=True)
            self.thread.start()

    def _build(self):
        try:
            self.engine.start()
            self.started.set()
            build = deploy_build()
            self.engine.base_image()
            self.image = self.engine.build(build[build.index("-t") + 1])
        except BaseException as error:  # said by the test that needs the image
            self.error = error
        finally:
            self.started.set()

    def wait(self, event=None):
        self.begin()
        if event is None:
            self.thread.join()
        else:
            event.wait()
        if self.error is not None:
            raise self.error

    def finish(self):
        """Stop the engine if it was started here (a build still going fails with it)."""
        self.engine.stop()
        if self.thread is not None:
            self.thread.join(timeout=120)


IMAGE_BUILD = ImageBuild()


def pytest_collection_finish(session):
    if any("app_image" in getattr(item, "fixturenames", ()) for item in session.items):
        IMAGE_BUILD.begin()


def pytest_sessionfinish(session):
    IMAGE_BUILD.finish()


@pytest.fixture(scope="session")
def docker():
    """A Docker engine: the one running, or one started for the tests and stopped
    after the last test."""
    IMAGE_BUILD.wait(IMAGE_BUILD.started)
    return IMAGE_BUILD.engine


@pytest.fixture(scope="session")
def app_image(docker):
    """The image built from the Dockerfile, named as in the deploy page's ``docker build``."""
    IMAGE_BUILD.wait()
    return IMAGE_BUILD.image


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
    # No data set kept built from earlier tests: as in a process just started.
    monkeypatch.setattr(datasets._library, "cache", datasets.Cache(datasets.DEFAULT_CACHE_BYTES))
    app = create_app({"TESTING": True, "PREPARE_AT_START": True, "CACHE_DIR": str(tmp_path),
                      "RATE_LIMITS_ENABLED": False})
    assert held.wait(60)
    yield app, release
    release.set()
    mnist.wait_prepared(tmp_path)
    mnist._preparations.pop(str(tmp_path), None)
    create_app({"TESTING": True})
