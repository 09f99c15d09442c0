"""How good a clustering is: against the true labels (ARI, purity, contingency),
and without them (silhouette).

numpy and scikit-learn only, no web framework. Every function trusts its input.
"""

import numpy as np
from sklearn.metrics import adjusted_rand_score, silhouette_score

# Silhouette needs every pairwise distance; past this many points it is
# estimated on a seeded sample of this size, as scikit-learn's sample_size does.
SILHOUETTE_SAMPLE = 2000


def true_classes(truth, truth_names):
    """The classes present in ``truth``, each point's class index, and the classes' names.

    Generated data sets' truth indexes ``truth_names``; a custom data set's
    truth holds the labels given, with ``truth_names`` their sorted distinct
    values. Either way, when every name has points the names are in the order
    of the sorted classes; otherwise (a generated class left with no points)
    the classes index the names.
    """
    classes, codes = np.unique(truth, return_inverse=True)
    if truth_names is None:
        names = [str(value) for value in classes]
    elif len(truth_names) == len(classes):
        names = list(truth_names)
    else:
        names = [truth_names[value] for value in classes]
    return codes, names


def contingency(labels, codes, k, n_classes):
    """Points of each cluster (rows, k of them) in each true class (columns)."""
    cells = labels.astype(np.int64) * n_classes + codes
    return np.bincount(cells, minlength=k * n_classes).reshape(k, n_classes)


def purity(table):
    """Share of the points in their cluster's most common true class."""
    return float(table.max(axis=1).sum() / table.sum())


def ari(labels, truth):
    """Adjusted Rand index: 1 for the true partition, about 0 for a random one."""
    return float(adjusted_rand_score(truth, labels))


def ari_of_table(table):
    """The adjusted Rand index from a contingency table, with scikit-learn's own
    integer pair counts and final formula, so it is its value to the last digit.
    A step's state needs it: scikit-learn, from the labels, takes milliseconds."""
    table = table.astype(np.int64)
    n = int(table.sum())
    sizes, classes = table.sum(axis=1), table.sum(axis=0)
    squares = int((table ** 2).sum())
    tp = squares - n
    fp = int((table.T @ sizes).sum()) - squares
    fn = int((table @ classes).sum()) - squares
    tn = n ** 2 - fp - fn - squares
    if fn == 0 and fp == 0:
        return 1.0
    return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))


def against_truth(labels, truth, truth_names, k):
    """ARI, purity and the contingency table, or None without labels or truth."""
    if labels is None or truth is None:
        return None
    codes, names = true_classes(truth, truth_names)
    table = contingency(labels, codes, k, len(names))
    return {
        "ari": ari_of_table(table),
        "purity": purity(table),
        "contingency": table.tolist(),
        "truth_names": names,
    }


def silhouette(X, labels, seed=0):
    """Mean silhouette of the clustering, on a seeded sample of large data; None
    when it is undefined (fewer than 2 clusters, or every point its own)."""
    n_labels = len(np.unique(labels))
    if not 2 <= n_labels <= X.shape[0] - 1:
        return None
    sample_size = SILHOUETTE_SAMPLE if X.shape[0] > SILHOUETTE_SAMPLE else None
    try:
        return float(silhouette_score(X, labels, sample_size=sample_size, random_state=seed))
    except ValueError:  # the sample happened to hold a single cluster
        return None
