"""Each test's tier, from the folder it sits in: tests/unit, tests/api, tests/system or
tests/browser (tests/README.md says which to run when). The helper modules here
(services.py, docker_engine.py) are imported by name from every tier: pytest.ini puts
this folder on the path."""

from pathlib import Path

import pytest

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
