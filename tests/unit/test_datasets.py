"""Every data set is deterministic from its parameters, has true labels, and k-means converges on it."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from app.core import datasets
from app.core.session import Session
from app.web.catalog import dataset_entries

GENERATED = [name for name in datasets.CATALOG if name != "custom"]
NEW = ["anisotropic", "unequal_variance", "uneven_sizes", "circles", "moons", "smiley",
       "uniform", "packed_circles"]


def defaults(name, **changes):
    params = {key: spec["default"] for key, spec in datasets.CATALOG[name]["params"].items()}
    return {**params, **changes}


def build(name, **changes):
    """A fresh data set, not the shared cached one."""
    return datasets.CATALOG[name]["builder"](**defaults(name, **changes))


@pytest.mark.parametrize("name", GENERATED)
def test_kmeans_plus_plus_converges_on_every_data_set(name):
    data = datasets.load(name, defaults(name))
    session = Session(data=data, k=len(data.truth_names), init="kmeans++", seed=0)
    session.run(max_iter=1000)
    assert session.converged
    assert len(session.labels) == data.n_samples


@pytest.mark.parametrize("name", NEW)
def test_every_new_data_set_is_the_same_for_the_same_parameters(name):
    first, second = build(name), build(name)
    np.testing.assert_array_equal(first.view, second.view)
    np.testing.assert_array_equal(first.truth, second.truth)
    other = build(name, random_state=defaults(name)["random_state"] + 1)
    assert not np.array_equal(first.view, other.view)


@pytest.mark.parametrize("name", NEW)
def test_every_new_data_set_has_one_named_true_label_per_point(name):
    data = build(name)
    assert data.truth.shape == (data.n_samples,) and data.n_features == 2
    assert set(data.truth.tolist()) == set(range(len(data.truth_names)))
    if "n_samples" in datasets.CATALOG[name]["params"]:
        assert build(name, n_samples=50).n_samples == 50


def test_the_assumption_sets_are_scikit_learns_example():
    points, truth = make_blobs(n_samples=1500, random_state=170)
    anisotropic = build("anisotropic")
    np.testing.assert_allclose(
        anisotropic.view, points @ [[0.60834549, -0.63667341], [-0.40887718, 0.85253229]])
    np.testing.assert_array_equal(anisotropic.truth, truth)
    uneven = build("uneven_sizes")
    np.testing.assert_array_equal(uneven.view[:500], points[truth == 0][:500])
    np.testing.assert_array_equal(uneven.view[600:], points[truth == 2][:10])
    assert np.bincount(uneven.truth).tolist() == [500, 100, 10]
    varied, _ = make_blobs(n_samples=1500, cluster_std=[1.0, 2.5, 0.5], random_state=170)
    np.testing.assert_array_equal(build("unequal_variance").view, varied)


def test_packed_circles_are_seven_touching_unit_discs():
    data = build("packed_circles", n_samples=1400)
    centres = datasets.packed_disc_centres()
    gaps = np.linalg.norm(centres[:, None] - centres[None], axis=2)
    assert np.isclose(np.sort(gaps, axis=1)[:, 1], 2.0).all()  # every disc touches another
    assert (np.linalg.norm(data.view - centres[data.truth], axis=1) <= 1.0).all()
    assert np.bincount(data.truth).tolist() == [200] * 7


def test_the_smiley_is_a_face_two_eyes_and_a_smile():
    data = build("smiley", noise=0.0)
    face = data.view[data.truth == 0]
    np.testing.assert_allclose(np.linalg.norm(face, axis=1), 1.0)
    eyes = [data.view[data.truth == part].mean(axis=0) for part in (1, 2)]
    assert eyes[0][0] < 0 < eyes[1][0] and eyes[0][1] > 0 and eyes[1][1] > 0
    assert (data.view[data.truth == 3][:, 1] < 0).all()  # the smile is below the eyes
    assert data.truth_names == ("face", "left eye", "right eye", "smile")


def test_uniform_points_fill_the_unit_square_as_one_class():
    data = build("uniform")
    assert data.view.min() >= 0 and data.view.max() <= 1
    assert data.truth_names == ("no clusters",) and not data.truth.any()


def test_the_catalog_says_what_to_look_for_in_every_data_set():
    entries = dataset_entries(max_points=20000)
    assert [entry["name"] for entry in entries] == list(datasets.CATALOG)
    for entry in entries:
        assert isinstance(entry["look_for"], str) and len(entry["look_for"]) > 80, entry["name"]


def test_the_catalog_caps_every_n_samples_at_max_points():
    for entry in dataset_entries(max_points=300):
        if "n_samples" in entry["params"]:
            assert entry["params"]["n_samples"]["maximum"] == 300, entry["name"]


def test_the_data_set_cache_is_bounded_in_bytes_and_keeps_the_most_recent():
    from app.core.datasets.cache import Cache

    cache = Cache(max_bytes=3 * 16_000)
    built = []

    def build(n):
        built.append(n)
        return datasets.make_custom([[float(i), 0.0] for i in range(n)])

    first = cache.get("a", lambda: build(500))  # 500 points: 16,000 bytes of arrays and more
    assert cache.get("a", lambda: build(500)) is first and built == [500]
    cache.get("b", lambda: build(500))
    cache.get("c", lambda: build(500))
    assert cache.get("a", lambda: build(500)) is not first  # evicted, built again
    huge = cache.get("huge", lambda: build(5000))  # bigger than the bound: kept alone
    assert cache.get("huge", lambda: build(5000)) is huge


@pytest.mark.parametrize("components, is_space", [(2, True), (10, False), (None, False)])
def test_mnist_is_drawn_in_its_clustering_space_only_with_two_components(components, is_space):
    data = datasets.load("mnist", {"pca_components": components})
    assert data.view_is_space is is_space
    assert datasets.view_is_space("mnist", data.params) is is_space
    centroids = data.X[:3]
    # The view of a centroid is where its points are drawn, whatever the space.
    np.testing.assert_allclose(data.to_view(centroids), data.view[:3], atol=1e-9)
    if is_space:
        np.testing.assert_allclose(data.from_view(data.view[:3]), centroids, atol=1e-9)


@pytest.mark.parametrize("name", GENERATED)
def test_the_catalogs_rule_for_the_view_agrees_with_every_data_set_built(name):
    params = defaults(name)
    assert datasets.view_is_space(name, params) is datasets.load(name, params).view_is_space


def test_custom_points_of_more_than_two_coordinates_are_drawn_in_their_first_two_components():
    from sklearn.decomposition import PCA

    rows = np.random.RandomState(0).normal(size=(300, 5)) * [5.0, 3.0, 1.0, 0.5, 0.1]
    data = datasets.make_custom(rows.tolist())
    assert (data.n_samples, data.n_features, data.view_is_space) == (300, 5, False)
    np.testing.assert_allclose(data.to_data(data.X), rows, atol=1e-12)  # clustered as given
    reference = PCA(2).fit_transform(rows)
    np.testing.assert_allclose(np.abs(data.view), np.abs(reference), atol=1e-9)
    # Each axis is signed by its largest entry: the same data always give the same picture.
    np.testing.assert_array_equal(data.view, datasets.make_custom(rows.tolist()).view)
    np.testing.assert_allclose(data.to_view(data.X), data.view, atol=1e-9)


def test_one_point_of_three_coordinates_is_drawn_at_the_origin():
    data = datasets.make_custom([[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(data.view, [[0.0, 0.0]])
