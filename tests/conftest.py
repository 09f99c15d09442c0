"""Each test's tier, from the folder it sits in: tests/unit, tests/api, tests/system or
tests/browser (tests/README.md says which to run when). The helper modules here
(services.py, docker_engine.py) are imported by name from every tier: pytest.ini puts
this folder on the path."""

import threading
from pathlib import Path

import pytest

from app import create_app
from app.core import datasets
from app.core.datasets import mnist

# In the order they run: fast first, and the system tests last, so the app's image,
# built from the moment they are collected (system/conftest.py), has the longest
# to get ready.
TIERS = ("unit", "api", "browser", "system")
HERE = Path(__file__).resolve().parent


def tier_of(path):
    """The tier of a test file: the first folder under tests/ it sits in."""
    try:
        parts = Path(path).resolve().relative_to(HERE).parts
    except ValueError:  # not under tests/
        parts = ()
    if len(parts) < 2 or parts[0] not in TIERS:
        raise pytest.UsageError(f"{path} sits in no tier: put it in tests/{{{','.join(TIERS)}}}/")
    return parts[0]


def pytest_collection_modifyitems(items):
    tiers = {}
    for item in items:
        if item.path not in tiers:
            tiers[item.path] = tier_of(item.path)
        item.add_marker(getattr(pytest.mark, tiers[item.path]))
    items.sort(key=lambda item: TIERS.index(tiers[item.path]))


# Used by the api and the browser tiers: an app whose MNIST is still being prepared.
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
