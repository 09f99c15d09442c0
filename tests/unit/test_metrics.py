"""The measures of a clustering agree with scikit-learn and with counting by hand."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import adjusted_rand_score, silhouette_score

from app.core import datasets, metrics
from app.core.session import Session
from app.web import presentation

LABELS = np.array([0, 0, 0, 1, 1, 3])  # cluster 2 is empty
TRUTH = np.array([0, 0, 1, 1, 1, 2])


def test_the_contingency_table_counts_points_of_each_cluster_in_each_class():
    codes, names = metrics.true_classes(TRUTH, ("a", "b", "c"))
    assert names == ["a", "b", "c"]
    assert metrics.contingency(LABELS, codes, 4, 3).tolist() == [
        [2, 1, 0],
        [0, 2, 0],
        [0, 0, 0],
        [0, 0, 1],
    ]


def test_purity_is_the_share_of_points_in_their_clusters_commonest_class():
    codes, names = metrics.true_classes(TRUTH, ("a", "b", "c"))
    table = metrics.contingency(LABELS, codes, 4, len(names))
    assert metrics.purity(table) == pytest.approx((2 + 2 + 0 + 1) / 6)


def test_custom_labels_name_their_columns_by_value():
    codes, names = metrics.true_classes(np.array([7, 3, 7]), ("3", "7"))
    assert names == ["3", "7"] and codes.tolist() == [1, 0, 1]


def test_a_generated_class_with_no_points_gets_no_column():
    codes, names = metrics.true_classes(np.array([0, 2, 2]), ("blob 0", "blob 1", "blob 2"))
    assert names == ["blob 0", "blob 2"] and codes.tolist() == [0, 1, 1]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3)), min_size=1, max_size=60))
def test_ari_is_scikit_learns_adjusted_rand_score(pairs):
    labels, truth = (np.array(column) for column in zip(*pairs))
    measured = metrics.against_truth(labels, metrics.true_classes(truth, None), labels.max() + 1)
    assert measured["ari"] == adjusted_rand_score(truth, labels)


def random_labelings(count=400, seed=0):
    """Clusterings and truths of every shape a step can meet, degenerate ones included."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n = int(rng.integers(1, 300))
        k = int(rng.integers(1, 12))
        n_classes = int(rng.integers(1, 8))
        yield rng.integers(0, k, n), rng.integers(0, n_classes, n), k
    for n in (1, 2, 7, 100):
        distinct, same = np.arange(n), np.zeros(n, dtype=int)
        yield same, same, 1  # one cluster, one class
        yield same, distinct % 3, 1  # one cluster
        yield distinct, same, n  # every point its own cluster
        yield distinct, distinct, n  # ... and its own class
        yield distinct % 2, distinct % 5, 9  # k above the clusters used and the classes


def test_the_ari_from_the_contingency_table_is_scikit_learns_to_the_last_bit():
    for labels, truth, k in random_labelings():
        codes, names = metrics.true_classes(truth, None)
        table = metrics.contingency(labels, codes, k, len(names))
        expected = adjusted_rand_score(truth, labels)
        assert abs(metrics.adjusted_rand(table) - expected) <= 1e-12
        assert metrics.adjusted_rand(table) == expected
        assert metrics.against_truth(labels, (codes, names), k)["ari"] == expected


def test_a_data_set_finds_its_true_classes_once_and_keeps_them_read_only():
    data = datasets.load("mouse", {"random_state": 0})
    codes, names = data.true_classes
    assert data.true_classes is data.true_classes
    expected_codes, expected_names = metrics.true_classes(data.truth, data.truth_names)
    np.testing.assert_array_equal(codes, expected_codes)
    assert list(names) == expected_names
    assert not codes.flags.writeable


def test_an_mnist_state_says_which_digit_each_centroid_stands_for():
    data = datasets.load("mnist", {"pca_components": 2})
    session = Session(data=data, k=10, init="kmeans++", seed=0)
    session.run(max_iter=300)
    found = presentation.state(session)["metrics"]
    table = np.array(found["contingency"])
    assert table.shape == (10, 10) and table.sum(axis=0).tolist() == [500] * 10
    assert found["truth_names"] == [str(digit) for digit in range(10)]


def test_the_silhouette_is_scikit_learns_and_undefined_for_one_cluster():
    data = datasets.load("blobs", {key: spec["default"]
                                   for key, spec in datasets.CATALOG["blobs"]["params"].items()})
    labels = data.truth
    assert metrics.silhouette(data.X, labels) == silhouette_score(data.X, labels)
    assert metrics.silhouette(data.X, np.zeros(data.n_samples, dtype=int)) is None


def test_the_silhouette_of_many_points_is_a_seeded_sample():
    data = datasets.load("mnist", {"pca_components": 10})
    first = metrics.silhouette(data.X, data.truth)
    assert first == metrics.silhouette(data.X, data.truth)
    assert first == silhouette_score(data.X, data.truth, sample_size=metrics.SILHOUETTE_SAMPLE,
                                     random_state=0)
