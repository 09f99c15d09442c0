"""A data set: the points to cluster, centred, with the maps between clustering space and view."""

import functools
from dataclasses import dataclass, field

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


