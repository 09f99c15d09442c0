"""How good a clustering is: against the true labels (ARI, purity, contingency),
and without them (silhouette).

numpy and scikit-learn only, no web framework. Every function trusts its input.
The measures against the truth are counted from the contingency table: every
step's answer carries them, and scikit-learn's input checks would cost more
than the step itself.
"""

import numpy as np
from sklearn.metrics import silhouette_score

# Silhouette needs every pairwise distance; past this many points it is
# estimated on a seeded sample of this size, as scikit-learn's sample_size does,
# the same sample (SILHOUETTE_SEED) for every k.
SILHOUETTE_SAMPLE = 2000
SILHOUETTE_SEED = 0


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


def adjusted_rand(table):
    """Adjusted Rand index of a contingency table: 1 for the true partition, about 0
    for a random one. scikit-learn's ``adjusted_rand_score`` to the last bit: the same
    pair counts, in exact integers, and the same final division."""
    table = table.astype(np.int64, copy=False)
    n_samples = int(table.sum())
    sum_squares = int((table * table).sum())
    rows = table.sum(axis=1)  # points of each cluster
    columns = table.sum(axis=0)  # points of each true class
    # Pairs of points together in the clustering only (fp), in the truth only (fn),
    # in both (tp), in neither (tn); a pair is ordered, as scikit-learn counts them.
    fp = int(rows @ rows) - sum_squares
    fn = int(columns @ columns) - sum_squares
    tp = sum_squares - n_samples
    tn = n_samples * n_samples - fp - fn - sum_squares
    if fn == 0 and fp == 0:  # full agreement, or no data
        return 1.0
    return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))


def against_truth(labels, classes, k):
    """ARI, purity and the contingency table, or None without labels or true
    ``classes`` (the codes and names ``true_classes`` gives)."""
    if labels is None or classes is None:
        return None
    codes, names = classes
    table = contingency(labels, codes, k, len(names))
    return {
        "ari": adjusted_rand(table),
        "purity": purity(table),
        "contingency": table.tolist(),
        "truth_names": list(names),
    }


def silhouette_sample(n_samples):
    """How many points the silhouette of ``n_samples`` is taken on: None for all."""
    return SILHOUETTE_SAMPLE if n_samples > SILHOUETTE_SAMPLE else None


def silhouette(X, labels):
    """Mean silhouette of the clustering, on a seeded sample of large data (scikit-learn's
    ``silhouette_score(sample_size=, random_state=)``); None when it is undefined (fewer
    than 2 clusters, or every point its own)."""
    n_labels = len(np.unique(labels))
    if not 2 <= n_labels <= X.shape[0] - 1:
        return None
    try:
        return float(silhouette_score(X, labels, sample_size=silhouette_sample(X.shape[0]),
                                      random_state=SILHOUETTE_SEED))
    except ValueError:  # the sample happened to hold a single cluster
        return None
