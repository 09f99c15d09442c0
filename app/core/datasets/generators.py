"""The generated data sets, each deterministic from its parameters.

Every generator returns a two-dimensional ``Dataset`` drawn as it is clustered,
with the true classes and their names.
"""

import numpy as np

from app.core.datasets.dataset import planar, projected


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
    return planar("blobs", params, points, truth, tuple(f"blob {i}" for i in range(centers)))


MOUSE_PARTS = (
    # name, size, centre, standard deviation
    ("head", 290, (0.5, 0.5), 0.2),
    ("left ear", 100, (0.25, 0.75), 0.05),
    ("right ear", 100, (0.75, 0.75), 0.05),
)


# The mouse's scattered points: a true class of the data that is no cluster.
NOISE_CLASS = "noise"


def make_mouse(random_state):
    """ELKI's "Mickey Mouse": a big head and two small ears, plus 10 noise points.

    k-means wants clusters of equal spread, so it carves the head's edge into
    the ears: the classic case it gets wrong.
    """
    rng = np.random.RandomState(random_state)
    parts = [rng.normal(centre, std, size=(size, 2)) for _, size, centre, std in MOUSE_PARTS]
    parts.append(rng.uniform(0.0, 1.0, size=(10, 2)))
    truth = np.repeat(np.arange(4), [size for _, size, _, _ in MOUSE_PARTS] + [10])
    names = tuple(name for name, *_ in MOUSE_PARTS) + (NOISE_CLASS,)
    return planar("mouse", dict(random_state=random_state), np.vstack(parts), truth, names)


# The three data sets of scikit-learn's "demonstration of k-means assumptions".
ANISOTROPIC_TRANSFORMATION = np.array([[0.60834549, -0.63667341], [-0.40887718, 0.85253229]])
UNEVEN_SIZES = (500, 100, 10)
THREE_BLOBS = tuple(f"blob {i}" for i in range(3))


def make_anisotropic(n_samples, random_state):
    """Three Gaussian blobs sheared into long parallel ellipses."""
    from sklearn.datasets import make_blobs as sklearn_blobs

    points, truth = sklearn_blobs(n_samples=n_samples, random_state=random_state)
    params = dict(n_samples=n_samples, random_state=random_state)
    return planar("anisotropic", params, points @ ANISOTROPIC_TRANSFORMATION, truth,
                   THREE_BLOBS)


def make_unequal_variance(n_samples, random_state):
    """Three Gaussian blobs of standard deviations 1, 2.5 and 0.5."""
    from sklearn.datasets import make_blobs as sklearn_blobs

    points, truth = sklearn_blobs(n_samples=n_samples, cluster_std=[1.0, 2.5, 0.5],
                                  random_state=random_state)
    params = dict(n_samples=n_samples, random_state=random_state)
    return planar("unequal_variance", params, points, truth, THREE_BLOBS)


def make_uneven_sizes(random_state):
    """The first 500, 100 and 10 points of three blobs of 1,500."""
    from sklearn.datasets import make_blobs as sklearn_blobs

    points, truth = sklearn_blobs(n_samples=1500, random_state=random_state)
    parts = [points[truth == blob][:size] for blob, size in enumerate(UNEVEN_SIZES)]
    truth = np.repeat(np.arange(3), [len(part) for part in parts])
    return planar("uneven_sizes", dict(random_state=random_state), np.vstack(parts), truth,
                   THREE_BLOBS)


def make_circles(n_samples, factor, noise, random_state):
    """A small ring inside a large one (scikit-learn's ``make_circles``)."""
    from sklearn.datasets import make_circles as sklearn_circles

    points, truth = sklearn_circles(n_samples=n_samples, factor=factor, noise=noise,
                                    random_state=random_state)
    params = dict(n_samples=n_samples, factor=factor, noise=noise, random_state=random_state)
    return planar("circles", params, points, truth, ("outer ring", "inner ring"))


def make_moons(n_samples, noise, random_state):
    """Two interleaved half circles (scikit-learn's ``make_moons``)."""
    from sklearn.datasets import make_moons as sklearn_moons

    points, truth = sklearn_moons(n_samples=n_samples, noise=noise, random_state=random_state)
    params = dict(n_samples=n_samples, noise=noise, random_state=random_state)
    return planar("moons", params, points, truth, ("upper moon", "lower moon"))


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
    return planar("smiley", params, np.vstack(parts), truth,
                   tuple(name for name, *_ in SMILEY_PARTS))


def make_uniform(n_samples, random_state):
    """Points spread evenly over the unit square: no clusters at all, one true class."""
    rng = np.random.RandomState(random_state)
    points = rng.uniform(0.0, 1.0, size=(n_samples, 2))
    params = dict(n_samples=n_samples, random_state=random_state)
    return planar("uniform", params, points, np.zeros(n_samples, dtype=np.int64),
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
    return planar("packed_circles", dict(n_samples=n_samples, random_state=random_state),
                   points, truth, names)


def _shares(n_samples, weights):
    """``n_samples`` split in proportion to ``weights``, the remainder to the first parts."""
    weights = np.asarray(weights) / np.sum(weights)
    sizes = np.floor(n_samples * weights).astype(int)
    sizes[: n_samples - sizes.sum()] += 1
    return sizes


def make_custom(points, labels=None):
    """Points given by the user: clicked into the plot, read from a CSV or sent from a
    notebook. Points of more than two coordinates are clustered as they are and drawn
    in their first two principal components, as MNIST's raw pixels are."""
    names = None if labels is None else tuple(str(v) for v in sorted(set(labels)))
    build = planar if np.shape(points)[1] == 2 else projected
    return build("custom", {"n_points": len(points)}, points, labels, names)


