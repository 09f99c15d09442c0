"""A data set: the points to cluster, centred, with the maps between clustering space and view."""

import functools
from dataclasses import dataclass, field

import numpy as np

from app.core import engine, metrics

IMAGE_SHAPE = (28, 28)
VIEW_DIMENSIONS = 2  # the plot's


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
    given: np.ndarray | None = None
    x_squared_norms: np.ndarray = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "x_squared_norms", engine.squared_norms(self.X))
        for array in self._arrays():
            array.setflags(write=False)

    def _arrays(self):
        arrays = (self.X, self.offset, self.view, self.truth, self.x_squared_norms, self.given)
        return [array for array in arrays if array is not None]

    @property
    def nbytes(self):
        """Memory held by the arrays of this data set."""
        return sum(array.nbytes for array in self._arrays())

    @property
    def source(self):
        """A custom data set's points as they were given: its view, unless projected."""
        return self.view if self.given is None else self.given

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


def planar(name, params, points, truth=None, truth_names=None):
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


def projected(name, params, points, truth=None, truth_names=None):
    """A data set of more than two dimensions, clustered as it is and drawn in its first
    two principal components."""
    points = np.ascontiguousarray(points, dtype=np.float64)
    offset = points.mean(axis=0)
    X = points - offset
    return Dataset(
        name=name,
        params=params,
        X=X,
        offset=offset,
        view=X @ (axes := principal_axes(X)).T,
        truth=None if truth is None else np.asarray(truth, dtype=np.int64),
        truth_names=truth_names,
        view_map=(offset, axes),
        given=points,
    )


def principal_axes(X, count=VIEW_DIMENSIONS):
    """The first ``count`` principal axes of centred ``X``, largest variance first, each
    signed so that its largest entry is positive (deterministic, as scikit-learn's)."""
    from scipy.linalg import eigh
    from threadpoolctl import threadpool_limits

    d = X.shape[1]
    # Only the top eigenvectors of the d x d scatter: far quicker than a full SVD of X. On
    # one BLAS thread, as MNIST's PCA: on a busy machine BLAS's threads wait on each other.
    with threadpool_limits(limits=1, user_api="blas"):
        _, vectors = eigh(X.T @ X, subset_by_index=[d - count, d - 1])
    axes = vectors[:, ::-1].T
    signs = np.sign(axes[np.arange(count), np.argmax(np.abs(axes), axis=1)])
    return np.ascontiguousarray(axes * signs[:, None])
