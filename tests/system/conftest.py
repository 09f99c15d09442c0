"""What only the system tests use: a redis-server, and the Docker engine with the app's
image, built in the background from the moment system tests are collected."""

import threading

import pytest

from docker_engine import Engine, deploy_build
from services import RedisServer


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    """A real redis-server on a free loopback port, for a module's tests."""
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


class ImageBuild:
    """The Docker engine and the app's image, made in a background thread from the
    moment the tests are collected: the system tests run last (tests/conftest.py), and
    the minutes of a fresh machine's build (the stand-in base image's downloads, pip's)
    overlap the other tests instead of adding to them."""

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
    if session.config.option.collectonly:
        return  # listing the tests builds nothing
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
