"""Lloyd's algorithm for k-means, one step at a time: init, assign, update.

numpy and scikit-learn, no web framework. Every function trusts its input: the
API layer validates once, at the edge, and ``X`` and the centroids are
C-contiguous float64 (``X`` centred on its mean, as scikit-learn centres it).
Assign and update run scikit-learn's own compiled Lloyd kernel, as
``KMeans(algorithm="lloyd")`` does (through ``app.core.kernel``), so that a run
here and a run of ``sklearn.cluster.KMeans`` give the same centroids, labels and
inertia to the last bit.
"""

from dataclasses import dataclass

import numpy as np

from app.core.kernel import lloyd_kernel, squared_distances

INIT_METHODS = ("random", "kmeans++", "farthest", "random_partition", "manual")
PICKED_ONE_AT_A_TIME = ("kmeans++",)  # starts whose Init can be taken one centre at a time


def read_only(array):
    """``array`` itself, made read-only: what a step produces is shared (by the copies
    of a session, the step worked out ahead, the caches of its JSON), so nothing may
    change it in place, and numpy now refuses to."""
    if array is not None:
        array.setflags(write=False)
    return array


def squared_norms(X):
    """Squared Euclidean norm of every row."""
    return np.einsum("ij,ij->i", X, X)


# --- Init: choose the starting centroids -------------------------------------

def init_centroids(X, k, method, seed, x_squared_norms=None):
    """Starting centroids by ``method`` ("random", "kmeans++", "farthest" or
    "random_partition"), all randomness from ``RandomState(seed)``."""
    random_state = np.random.RandomState(seed)
    if method == "random":
        return _init_random(X, k, random_state)
    if method == "kmeans++":
        chosen = [pick.kept for pick in kmeans_plusplus_picks(X, k, seed, x_squared_norms)]
        return X[chosen]
    if method == "farthest":
        return _init_farthest(X, k, random_state)
    if method == "random_partition":
        return _init_random_partition(X, k, random_state)
    raise ValueError(f"init={method!r} takes no seed; give the centroids instead")


def _init_random(X, k, random_state):
    # The very call KMeans(init="random") makes, uniform weights included: a
    # choice with p= draws differently from one without.
    n = X.shape[0]
    seeds = random_state.choice(n, size=k, replace=False, p=np.ones(n) / n)
    return X[seeds].copy()


@dataclass(frozen=True, eq=False)
class Pick:
    """One centre of greedy k-means++, as scikit-learn's ``_kmeans_plusplus`` chose it.

    ``closest``: every point's squared distance to the nearest centre chosen before
    (D²), and ``potential`` their sum, Σ D²: each point was drawn with probability
    D² / Σ D². Both are None for the first centre, drawn uniformly. ``candidates``:
    the points drawn (2 + int(ln k) of them); ``potentials``: the Σ D² each would
    leave; ``kept``: the candidate that leaves the least.
    """

    closest: np.ndarray | None
    potential: float | None
    candidates: np.ndarray
    potentials: np.ndarray
    kept: int

    def chances(self, n_samples):
        """Every point's probability of being drawn as a candidate."""
        if self.closest is None:
            return np.full(n_samples, 1.0 / n_samples)
        if not self.potential > 0:  # every point on a centre: nothing left to draw by D²
            return np.zeros(n_samples)
        return self.closest / self.potential


def kmeans_plusplus_picks(X, k, seed, x_squared_norms=None):
    """The k centres of k-means++ one at a time, as ``Pick`` records: scikit-learn's
    ``_kmeans_plusplus`` line for line (unit sample weights, as ``KMeans`` and
    ``kmeans_plusplus`` give it), so the same draws of ``RandomState(seed)`` give the
    same candidates and centres to the last bit. A generator: a sub-stepped Init
    takes only the centres it needs."""
    random_state = np.random.RandomState(seed)
    if x_squared_norms is None:
        x_squared_norms = squared_norms(X)
    n_samples = X.shape[0]
    sample_weight = np.ones(n_samples, dtype=X.dtype)
    n_local_trials = 2 + int(np.log(k))

    center_id = random_state.choice(n_samples, p=sample_weight / sample_weight.sum())
    closest_dist_sq = squared_distances(X[[center_id]], X, x_squared_norms)
    current_pot = closest_dist_sq @ sample_weight
    yield Pick(None, None, np.array([center_id]), current_pot.copy(), int(center_id))

    for _ in range(1, k):
        rand_vals = random_state.uniform(size=n_local_trials) * current_pot
        candidate_ids = np.searchsorted(np.cumsum(sample_weight * closest_dist_sq), rand_vals)
        # As scikit-learn: rounding can put a draw past the last point.
        np.clip(candidate_ids, None, closest_dist_sq.size - 1, out=candidate_ids)
        distance_to_candidates = squared_distances(X[candidate_ids], X, x_squared_norms)
        np.minimum(closest_dist_sq, distance_to_candidates, out=distance_to_candidates)
        candidates_pot = distance_to_candidates @ sample_weight.reshape(-1, 1)
        best = np.argmin(candidates_pot)
        # A copy: a view would keep every candidate's distances alive with the pick.
        yield Pick(closest_dist_sq.ravel().copy(), float(current_pot[0]), candidate_ids,
                   candidates_pot.ravel(), int(candidate_ids[best]))
        current_pot = candidates_pot[best]
        closest_dist_sq = distance_to_candidates[best]


def _init_farthest(X, k, random_state):
    """Farthest-first traversal: a random first point, then each next centroid
    is the point farthest from all centroids chosen so far (ties: lowest index)."""
    chosen = [random_state.randint(X.shape[0])]
    closest = ((X - X[chosen[0]]) ** 2).sum(axis=1)
    for _ in range(1, k):
        chosen.append(int(np.argmax(closest)))
        np.minimum(closest, ((X - X[chosen[-1]]) ** 2).sum(axis=1), out=closest)
    return X[chosen].copy()


def _init_random_partition(X, k, random_state):
    """Every point joins a random cluster and the centroids are their means.

    The partition is a random permutation of 0, 1, ..., k-1 repeated, so every
    cluster gets about n/k points and none starts empty.
    """
    labels = random_state.permutation(np.arange(X.shape[0]) % k)
    sums = np.zeros((k, X.shape[1]))
    np.add.at(sums, labels, X)
    return sums / np.bincount(labels, minlength=k)[:, None]


# --- Assign (E step): every point joins its nearest centroid ------------------

def assign(X, centroids):
    """Nearest centroid of every point (ties: the lowest index) and the inertia of
    that assignment, the sum of squared distances. Returns ``labels, inertia``."""
    with lloyd_kernel(X) as kernel:
        labels, _, _ = kernel.lloyd(centroids, update_centers=False)
        return read_only(labels), kernel.inertia(centroids, labels)


def inertia(X, centroids, labels):
    """Σ‖x − c‖² over every point and its centroid (``labels`` int32), summed
    directly as scikit-learn does: no ‖x‖² − 2x·c + ‖c‖², which cancels far from
    the origin."""
    with lloyd_kernel(X) as kernel:
        return kernel.inertia(centroids, labels)


def count_changed(labels, previous_labels):
    """Points whose cluster differs from the previous assignment (all, the first time)."""
    if previous_labels is None:
        return int(labels.shape[0])
    return int(np.count_nonzero(labels != previous_labels))


# --- Update (M step): every centroid moves to the mean of its points ----------

@dataclass(frozen=True)
class Update:
    """Where an update moved the centroids, and why any went elsewhere than a mean.

    ``relocations``: ``(cluster, point)`` for each empty cluster whose centroid
    jumped to a data point. ``emptied``: ``(cluster, largest, size)`` for each
    cluster left with no point even so; its centroid took the largest cluster's
    row. ``inertia``: every point against its new centroid, a relocated point
    counted in the cluster it was moved to, so that an update never raises it
    (beyond rounding).
    """

    centroids: np.ndarray
    relocations: tuple
    emptied: tuple
    inertia: float


def update(X, centroids):
    """The update that follows the assignment of every point to ``centroids``.

    Every centroid moves to the mean of its points (the sum times the reciprocal
    of the count). An empty cluster takes the point farthest from its own
    centroid (the n_empty farthest points for n_empty empty clusters), and that
    point leaves its old cluster. A cluster still empty (every point sits on its
    centroid, or its last point was taken) is given the row of the largest
    cluster as it stands then: its sum if that cluster comes later, so not yet
    divided, its mean if it comes earlier. That is scikit-learn's
    ``_average_centers``, odd as it is, kept so as to agree with it.

    scikit-learn's kernel takes the assignment and the update in one pass: it is
    given the centroids, not the labels, and finds the same labels again.
    """
    with lloyd_kernel(X) as kernel:
        labels, means, sizes = kernel.lloyd(centroids, update_centers=True)
        moved, relocations, emptied = _moves(kernel.X, centroids, labels, sizes)
        return Update(read_only(means), relocations, emptied, kernel.inertia(means, moved))


def iterate(X, centroids):
    """Assign and update in one pass over the data, as scikit-learn takes them:
    ``labels, inertia`` of the assignment to ``centroids``, and the ``Update`` after it."""
    with lloyd_kernel(X) as kernel:
        labels, means, sizes = kernel.lloyd(centroids, update_centers=True)
        moved, relocations, emptied = _moves(kernel.X, centroids, labels, sizes)
        assigned, updated = kernel.inertias(centroids, labels, means, moved)
        return (read_only(labels), assigned,
                Update(read_only(means), relocations, emptied, updated))


def _moves(X, centroids, labels, sizes):
    """What the update does besides taking the means, found from what the kernel left
    (the labels and the points in each cluster): every point's cluster after it,
    ``labels`` themselves unless a point was relocated, and ``Update.relocations``
    and ``Update.emptied``."""
    relocations = _relocations(X, centroids, labels, sizes)
    moved = labels.copy() if relocations else labels
    for cluster, point in relocations:
        moved[point] = cluster
    largest = int(np.argmax(sizes))
    emptied = tuple((int(cluster), largest, int(sizes[largest]))
                    for cluster in np.flatnonzero(sizes == 0))
    return moved, relocations, emptied


def _relocations(X, centroids, labels, sizes):
    """Which point the kernel's ``_relocate_empty_clusters_dense`` gave to each
    empty cluster: the same choice, made again to be reported (the kernel reports nothing)."""
    # With unit weights a cluster the kernel filled holds exactly its one point, and one
    # it could not fill none: clusters of two points or more mean no cluster was empty
    # (seen from the k sizes, not by counting the labels, which is a pass over every point).
    if sizes.min() >= 2:
        return ()
    empty = np.flatnonzero(np.bincount(labels, minlength=len(centroids)) == 0)
    if not (sizes[empty] > 0).any():  # none, or none could be filled
        return ()
    distances = ((X - centroids[labels]) ** 2).sum(axis=1)
    farthest = np.argpartition(distances, -empty.size)[: -empty.size - 1 : -1]
    return tuple((int(cluster), int(point)) for cluster, point in zip(empty, farthest))
