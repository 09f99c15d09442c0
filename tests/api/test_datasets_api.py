"""Every new data set through the API: listed with its parameters, and a session made on
it (the data sets themselves: tests/unit/test_datasets.py)."""

import pytest

from app.core import datasets

# The data sets tests/unit/test_datasets.py calls NEW.
NEW = ["anisotropic", "unequal_variance", "uneven_sizes", "circles", "moons", "smiley",
       "uniform", "packed_circles"]


def build(name):
    """A fresh data set at its defaults, not the shared cached one."""
    return datasets.CATALOG[name]["builder"](**datasets.defaults(name))


def test_get_datasets_lists_every_new_data_set_with_its_parameters(client):
    listed = {entry["name"]: entry for entry in client.get("/api/datasets").get_json()["datasets"]}
    assert set(NEW) <= set(listed)
    assert set(listed["circles"]["params"]) == {"n_samples", "factor", "noise", "random_state"}
    assert listed["anisotropic"]["params"]["random_state"]["default"] == 170
    assert all(listed[name]["look_for"] for name in listed)


@pytest.mark.parametrize("name", NEW)
def test_a_session_can_be_made_on_every_new_data_set_through_the_api(api, name):
    created = api.create(name, k=2)
    assert len(created["points"]) == created["n_samples"]
    assert created["truth_names"] == list(build(name).truth_names)
