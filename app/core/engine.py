"""Lloyd's algorithm for k-means, one step at a time: init, assign, update.

Pure numpy (and scikit-learn's own k-means++), no web framework. Every function
trusts its input: the API layer validates once, at the edge. The arithmetic
follows scikit-learn's Lloyd implementation so that a run here and a run of
``sklearn.cluster.KMeans`` give the same centroids, labels and inertia.
"""

import numpy as np
from sklearn.cluster import kmeans_plusplus

INIT_METHODS = ("random", "kmeans++", "farthest", "random_partition", "manual")


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
        return _init_kmeans_plusplus(X, k, random_state, x_squared_norms)
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


def _init_kmeans_plusplus(X, k, random_state, x_squared_norms):
    centers, _ = kmeans_plusplus(
        X, k, x_squared_norms=x_squared_norms, random_state=random_state
    )
    return centers


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
    sums, counts = _cluster_sums(X, labels, k)
    return sums / counts[:, None]


# --- Assign (E step): every point joins its nearest centroid ------------------

def assign(X, centroids, x_squared_norms):
    """Nearest centroid of every point and the inertia of that assignment.

    Returns ``labels, inertia``. Ties go to the lowest centroid index. As in
    scikit-learn, distances are ``||x||² - 2 x·c + ||c||²`` through one matrix
    product, and ``||x||²`` is left out of the comparison since it does not
    depend on the centroid.
    """
    partial = X @ centroids.T
    partial *= -2.0
    partial += squared_norms(centroids)
    labels = np.argmin(partial, axis=1).astype(np.int32)
    nearest = partial[np.arange(X.shape[0]), labels] + x_squared_norms
    return labels, float(np.maximum(nearest, 0.0).sum())


def count_changed(labels, previous_labels):
    """Points whose cluster differs from the previous assignment (all, the first time)."""
    if previous_labels is None:
        return int(labels.shape[0])
    return int(np.count_nonzero(labels != previous_labels))


# --- Update (M step): every centroid moves to the mean of its points ----------

def update(X, labels, centroids, x_squared_norms):
    """Mean of every cluster, with scikit-learn's rule for empty clusters.

    Returns ``new_centroids, relocations, inertia``. ``relocations`` lists
    ``(cluster, point)`` for each empty cluster whose centroid was moved to a
    data point: like scikit-learn, an empty cluster takes the point farthest
    from its own centroid (the n_empty farthest points for n_empty empty
    clusters), and that point's weight leaves its old cluster. If every point
    sits on its centroid there is nothing to gain, and an empty cluster's
    centroid goes to the mean of the largest cluster instead. ``inertia`` is
    that of the unchanged labels against the new centroids: an update never
    raises it.
    """
    k = centroids.shape[0]
    sums, counts = _cluster_sums(X, labels, k)
    inertia_sums, inertia_counts = sums.copy(), counts.copy()
    relocations = _relocate_empty_clusters(X, centroids, labels, sums, counts)
    new_centroids = np.empty_like(centroids)
    filled = counts > 0
    # Multiply by the reciprocal, as scikit-learn does, to agree to the last bit.
    new_centroids[filled] = sums[filled] * (1.0 / counts[filled])[:, None]
    new_centroids[~filled] = new_centroids[np.argmax(counts)]
    inertia = _inertia_from_sums(
        x_squared_norms, inertia_sums, inertia_counts, new_centroids
    )
    return new_centroids, relocations, inertia


def _cluster_sums(X, labels, k):
    """Sum and number of points of every cluster, as one matrix product."""
    membership = np.zeros((k, X.shape[0]))
    membership[labels, np.arange(X.shape[0])] = 1.0
    return membership @ X, membership.sum(axis=1)


def _relocate_empty_clusters(X, centroids, labels, sums, counts):
    """scikit-learn's ``_relocate_empty_clusters_dense``; edits sums and counts."""
    empty = np.flatnonzero(counts == 0)
    if empty.size == 0:
        return []
    distances = ((X - centroids[labels]) ** 2).sum(axis=1)
    if distances.max() == 0:
        return []
    farthest = np.argpartition(distances, -empty.size)[: -empty.size - 1 : -1]
    relocations = []
    for cluster, point in zip(empty, farthest):
        old = labels[point]
        sums[old] -= X[point]
        sums[cluster] = X[point]
        counts[old] -= 1
        counts[cluster] = 1
        relocations.append((int(cluster), int(point)))
    return relocations


def _inertia_from_sums(x_squared_norms, sums, counts, centroids):
    """Σ‖x − c‖² over clusters, from each cluster's sum and size: no pass over X."""
    total = (
        x_squared_norms.sum()
        - 2.0 * np.einsum("ij,ij->", sums, centroids)
        + counts @ squared_norms(centroids)
    )
    return float(max(total, 0.0))
