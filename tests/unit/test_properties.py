"""Properties of the engine on random data: any k, any start."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from app.core import datasets
from app.core.engine import INIT_METHODS
from app.core.session import Session

coordinates = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)


@st.composite
def runs(draw):
    n = draw(st.integers(min_value=1, max_value=60))
    points = draw(arrays(np.float64, (n, 2), elements=coordinates))
    k = draw(st.integers(min_value=1, max_value=n))
    init = draw(st.sampled_from([m for m in INIT_METHODS if m != "manual"]))
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    return points, k, init, seed


@settings(max_examples=150, deadline=None)
@given(runs())
def test_any_run_keeps_labels_in_range_never_nan_and_never_raises_the_inertia(run):
    points, k, init, seed = run
    session = Session(data=datasets.make_custom(points.tolist()), k=k, init=init, seed=seed)
    session.run(max_iter=30)
    assert np.isfinite(session.centroids).all()
    assert session.labels.min() >= 0 and session.labels.max() < k
    inertias = [step.inertia for step in session.steps if step.kind == "assign"]
    assert all(np.isfinite(inertias)) and min(inertias) >= 0
    scale = 1e-9 * max(1.0, float((points ** 2).sum()))
    assert all(later <= earlier + scale for earlier, later in zip(inertias, inertias[1:]))
