"""The data sets a student can cluster, each deterministic from its parameters.

A ``Dataset`` (``dataset.py``) holds the clustering space ``X`` centred on its
mean (scikit-learn centres the data before Lloyd's algorithm too, for accurate
distances), the points as drawn in the two-dimensional view, and the true labels
where there are any. ``generators.py`` makes the planar sets, ``mnist.py`` the
digits and their PCA. Generated data sets are built once per process for each
set of parameters (``cache.py``) and shared by every session that uses them.

``CATALOG`` declares every data set's builder and parameters: type, range and
default, the facts the builders take. The words a student reads about them live
in the web layer's teaching file, not here.
"""

from app.core.datasets.cache import Cache
from app.core.datasets.dataset import IMAGE_SHAPE, Dataset
from app.core.datasets.generators import (
    NOISE_CLASS, make_anisotropic, make_blobs, make_circles, make_custom, make_moons, make_mouse,
    make_packed_circles, make_smiley, make_uneven_sizes, make_unequal_variance, make_uniform,
    packed_disc_centres)
from app.core.datasets.mnist import (VIEW_COMPONENTS, NotReady, Preparation, default_cache_dir,
                                     load_mnist_arrays, make_mnist)

__all__ = [
    "BUILT_IN", "CATALOG", "DEFAULT_CACHE_BYTES", "IMAGE_SHAPE", "MAX_FEATURES", "SEED_MAX",
    "Dataset", "Library", "cache_dir", "defaults", "load", "load_mnist_arrays", "make_blobs",
    "make_custom", "make_mnist", "NotReady", "packed_disc_centres", "prepare",
]

SEED_MAX = 2**32 - 1
MAX_FEATURES = 1024  # coordinates of a custom data set's point (MNIST's pixels are 784)
DEFAULT_CACHE_BYTES = 256 * 1024 * 1024  # generated data sets a process keeps built


def integer(default, minimum, maximum, nullable=False):
    return {"type": "integer", "default": default, "minimum": minimum, "maximum": maximum,
            "nullable": nullable}


def number(default, minimum, maximum):
    return {"type": "number", "default": default, "minimum": minimum, "maximum": maximum}


def boolean(default):
    return {"type": "boolean", "default": default}


def seed(default):
    """The generator's seed: "New data" draws another."""
    return {**integer(default, 0, SEED_MAX), "role": "seed"}


def points(default, minimum):
    """How many points to draw: at most the app's limit on points (its setting
    ``KMEANS_MAX_POINTS``), which the catalog writes in as the maximum."""
    return {**integer(default, minimum, None), "role": "points"}


# view_is_space_if: the view is the clustering space (regions make sense) exactly
# when the parameters named take these values; {} for always.
CATALOG = {
    "blobs": {
        "builder": make_blobs,
        "params": {
            "n_samples": points(100, 1),
            "centers": {**integer(4, 1, 50), "role": "classes"},  # true classes drawn
            "cluster_std": number(0.5, 0.01, 10.0),
            "random_state": seed(0),
            "scale_x": number(1.0, 0.001, 10000.0),
            "standardize": boolean(False),
        },
    },
    "mouse": {"builder": make_mouse, "params": {"random_state": seed(0)},
              "noise_class": NOISE_CLASS},
    "mnist": {
        "builder": make_mnist,
        "prepared": True,  # its builder takes the cache_dir where it is prepared
        "params": {"pca_components": integer(2, 2, 784, nullable=True)},
        "view_is_space_if": {"pca_components": VIEW_COMPONENTS},
        "images": True,
    },
    "anisotropic": {
        "builder": make_anisotropic,
        "params": {"n_samples": points(1500, 3), "random_state": seed(170)},
    },
    "unequal_variance": {
        "builder": make_unequal_variance,
        "params": {"n_samples": points(1500, 3), "random_state": seed(170)},
    },
    "uneven_sizes": {"builder": make_uneven_sizes, "params": {"random_state": seed(170)}},
    "circles": {
        "builder": make_circles,
        "params": {"n_samples": points(500, 2), "factor": number(0.5, 0.0, 0.99),
                   "noise": number(0.05, 0.0, 1.0), "random_state": seed(0)},
    },
    "moons": {
        "builder": make_moons,
        "params": {"n_samples": points(500, 2), "noise": number(0.05, 0.0, 1.0),
                   "random_state": seed(0)},
    },
    "smiley": {
        "builder": make_smiley,
        "params": {"n_samples": points(600, 10), "noise": number(0.03, 0.0, 1.0),
                   "random_state": seed(0)},
    },
    "uniform": {
        "builder": make_uniform,
        "params": {"n_samples": points(500, 1), "random_state": seed(0)},
    },
    "packed_circles": {
        "builder": make_packed_circles,
        "params": {"n_samples": points(700, 7), "random_state": seed(0)},
    },
    # Points given in the request (and labels, if any) rather than parameters.
    "custom": {"builder": make_custom, "params": {}, "truth": "when labels are given"},
}


def defaults(name):
    """Data set ``name``'s parameters at their defaults."""
    return {key: spec["default"] for key, spec in CATALOG[name]["params"].items()}


BUILT_IN = tuple(name for name in CATALOG if name != "custom")  # data sets built from parameters


def view_is_space(name, params):
    """Whether data set ``name`` with ``params`` is drawn in its own clustering space."""
    condition = CATALOG[name].get("view_is_space_if", {})
    return all(params.get(key) == value for key, value in condition.items())


class Library:
    """Where prepared data is kept on disk, and the generated data sets kept built
    (bounded in bytes). The app makes one of its own (``app.extensions["datasets"]``),
    so that two apps in one process never share them, nor MNIST's preparation; code
    outside an app (scripts, notebooks, tests) uses the module's functions, on a
    library of defaults."""

    def __init__(self, cache_bytes=DEFAULT_CACHE_BYTES, cache_dir=None):
        self.cache = Cache(cache_bytes)
        self._cache_dir = cache_dir  # None: default_cache_dir()
        self.preparation = None  # MNIST prepared in the background, once started

    @property
    def cache_dir(self):
        """Where prepared data is kept between runs."""
        return self._cache_dir or default_cache_dir()

    def load(self, name, params):
        """The shared, cached data set for a generated ``name`` and full ``params``."""
        key = (name, tuple(sorted(params.items())))
        prepared = CATALOG[name].get("prepared")
        where = {"cache_dir": self.cache_dir} if prepared else {}

        def build():
            if prepared and self.preparation is not None:
                self.preparation.refuse_until_done()  # NotReady meanwhile
            return CATALOG[name]["builder"](**params, **where)

        return self.cache.get(key, build)

    def prepare_at_start(self):
        """Start preparing MNIST in ``cache_dir`` in the background, once (see
        ``mnist.py``); returns at once."""
        if self.preparation is None:
            self.preparation = Preparation(self.cache_dir).start()

    def wait_prepared(self):
        """Wait for the preparation in the background, if one was started."""
        if self.preparation is not None:
            self.preparation.done.wait()

    def prepare(self):
        """Build what takes time once (MNIST and its PCA, kept in ``cache_dir``), e.g. at
        container build; after a preparation already under way in the background."""
        self.wait_prepared()
        load_mnist_arrays(self.cache_dir)
        self.load("mnist", defaults("mnist"))


_defaults = Library()  # for code outside an app


def cache_dir():
    """Where prepared data is kept between runs, outside an app."""
    return _defaults.cache_dir


def load(name, params):
    """The shared, cached data set for a generated ``name`` and full ``params``, outside
    an app."""
    return _defaults.load(name, params)


def prepare():
    """``Library.prepare`` on the defaults."""
    _defaults.prepare()
