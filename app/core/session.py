"""A student's run of Lloyd's algorithm: the steps taken so far, undoable.

A ``Session`` keeps the shared data set, k, how to start, the seed, and the
history of steps. Each step records only what it changed (new centroids for
init and update; inertia and changed count for assign; the relocations of
emptied clusters), so a session stays a few KiB however large its data set; the
labels of the latest assignment are kept as well, to step on without
recomputing them. With init "kmeans++" the Init can also be taken one centre at
a time (``pick``): the session counts the centres picked, and their draws
(``engine.Pick``) are replayed from the seed when asked for, the same to the last
bit. Plain data only: how it is shown, and in what words, is the web layer's
(``app/web/presentation.py``).
"""

import dataclasses
import itertools
import secrets
import time
from dataclasses import dataclass, field

import numpy as np

from app.core import engine
from app.core.engine import read_only

# Every phase a run can be in, with the step of Lloyd's algorithm just taken and the
# step due next (None: none yet). The phases are named here only: the API's document
# and the page's algorithm panel read them from this table. A phase inside a step (the
# Init taken one centroid at a time, say) names that step on both sides.
PHASES = {
    "new": {"taken": None, "next": "init"},
    "initialized": {"taken": "init", "next": "assign"},
    "assigned": {"taken": "assign", "next": "update"},
    "updated": {"taken": "update", "next": "assign"},
}
# The phase a whole step leads to.
PHASE_AFTER = {place["taken"]: phase for phase, place in PHASES.items()
               if place["taken"] not in (None, place["next"])}
NEXT_STEP = {phase: place["next"] for phase, place in PHASES.items()}


class StepRefused(Exception):
    """A step asked for out of order. ``reason`` names why (a key of the teaching
    file's ``[refused]`` table, where the words for the student are), and
    ``details`` fill them in."""

    def __init__(self, reason, **details):
        super().__init__(reason)
        self.reason = reason
        self.details = details


def new_session_id():
    """128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


@dataclass(slots=True)
class Step:
    """What one step did: just enough to show it, undo it and export it."""

    kind: str  # "init", "assign" or "update"
    centroids: np.ndarray | None = None  # after init and update, clustering space
    inertia: float | None = None
    changed: int | None = None  # assign: points that changed cluster
    shift: float | None = None  # update: how far the farthest centroid moved
    relocations: tuple = ()  # update: (cluster, point) for each emptied cluster
    emptied: tuple = ()  # update: (cluster, largest, its size) for each left empty
    final_update: bool = False  # assign: no label changed, yet the update after it moves
    stopped: bool = False  # a Run stopped here, out of time


@dataclass
class Session:
    data: object  # a datasets.Dataset, shared
    k: int
    init: str
    seed: int
    id: str = field(default_factory=new_session_id)
    steps: list = field(default_factory=list)
    labels: np.ndarray | None = None
    # The update after the latest assignment, computed in the same pass over the data
    # (scikit-learn's kernel takes both at once). Not stored: without it, Update
    # computes it again, the same to the last bit.
    next_update: engine.Update | None = field(default=None, repr=False)
    # k-means++ centres chosen one at a time (``pick``), before or by the Init: the Init
    # that the k-th pick takes leaves it at k, one taken at once after some picks below k.
    # Only the count: the draws are replayed (``picks``), as each holds every point's D².
    picked: int = 0

    # --- What the session stands at, derived from its steps -------------------

    @property
    def phase(self):
        return PHASE_AFTER[self.steps[-1].kind] if self.steps else "new"

    @property
    def iteration(self):
        """Updates done so far."""
        return sum(step.kind == "update" for step in self.steps)

    @property
    def centroids(self):
        return self._centroids_before(len(self.steps))

    @property
    def last_assign(self):
        for step in reversed(self.steps):
            if step.kind == "assign":
                return step
        return None

    @property
    def converged(self):
        """An assignment changed no label, and the update after it, if it moves a
        centroid, is taken: scikit-learn stops there too (strict convergence)."""
        if not self.steps:
            return False
        last = self.steps[-1]
        if last.kind == "assign":
            return last.changed == 0 and not last.final_update
        return last.kind == "update" and self.steps[-2].final_update

    @property
    def next_step(self):
        return None if self.converged else NEXT_STEP[self.phase]

    @property
    def can_back(self):
        return bool(self.steps) or self.picked > 0

    @property
    def picking(self):
        """The centres are being picked one at a time, or the last pick was the Init:
        what the picks drew is what there is to show."""
        if self.steps:
            return self.picked == self.k and len(self.steps) == 1
        return self.picked > 0

    def picks(self, count):
        """The first ``count`` (at most k) draws of k-means++ (``engine.Pick``), drawn
        again from the seed."""
        drawn = engine.kmeans_plusplus_picks(self.data.X, self.k, self.seed,
                                             self.data.x_squared_norms)
        return list(itertools.islice(drawn, min(count, self.k)))

    # --- The steps ---------------------------------------------------------------

    def initialize(self, centroids=None):
        """Choose the starting centroids (given ones for ``init="manual"``)."""
        if self.steps:
            raise StepRefused("already_initialized")
        data = self.data
        if self.init == "manual":
            if centroids is None:
                raise StepRefused("manual_needs_centroids", k=self.k)
            start = data.from_view(np.asarray(centroids, dtype=np.float64))
        else:
            start = engine.init_centroids(data.X, self.k, self.init, self.seed,
                                          data.x_squared_norms)
        self.steps.append(Step("init", centroids=read_only(np.array(start, order="C"))))

    def pick(self):
        """k-means++ one centre at a time: the next centre; the k-th is the Init."""
        if self.init not in engine.PICKED_ONE_AT_A_TIME:
            raise StepRefused("picks_one_at_a_time", init=self.init, k=self.k)
        if self.steps:
            raise StepRefused("already_initialized")
        self.picked += 1
        if self.picked == self.k:
            self.initialize()

    def assign(self, precomputed=None):
        """E step: every point joins its nearest centroid. ``precomputed``: this session
        after its next step, worked out before (``app.services``), taken as it is if
        that step is this assignment."""
        if self.phase == "new":
            raise StepRefused("assign_before_init")
        if self.converged:
            return
        if self.phase == "assigned":
            raise StepRefused("already_assigned")
        if self._take_precomputed(precomputed, "assign"):
            return
        centroids = self.centroids
        labels, inertia, self.next_update = engine.iterate(self.data.X, centroids)
        # Then compared a byte a point, not four.
        labels = read_only(labels.astype(_label_dtype(self.k)))
        changed = engine.count_changed(labels, self.labels)
        self.labels = labels
        # With no label changed, scikit-learn stops after the update it took in the same
        # pass. That update moves nothing, unless it relocates an empty cluster's
        # centroid: then it is still to be taken, and is the last.
        final_update = changed == 0 and not np.array_equal(self.next_update.centroids,
                                                           centroids)
        self.steps.append(Step("assign", inertia=inertia, changed=changed,
                               final_update=final_update))

    def update(self, precomputed=None):
        """M step: every centroid moves to the mean of its points (``precomputed``: as
        for ``assign``)."""
        if self.phase in ("new", "initialized"):
            raise StepRefused("update_before_assign")
        if self.converged:
            return
        if self.phase == "updated":
            raise StepRefused("already_updated")
        if self._take_precomputed(precomputed, "update"):
            return
        old = self.centroids
        update = self.next_update
        if update is None:
            update = engine.update(self.data.X, old)
        inertia = update.inertia
        if self.steps[-1].final_update:
            # scikit-learn stops with these centroids and the labels as they are (a
            # relocated point among them), and its inertia_ is theirs.
            inertia = engine.inertia(self.data.X, update.centroids, self.labels.astype(np.int32))
        shift = float(np.sqrt(((update.centroids - old) ** 2).sum(axis=1)).max())
        self.steps.append(Step("update", centroids=update.centroids, inertia=inertia,
                               shift=shift, relocations=update.relocations,
                               emptied=update.emptied))

    def _take_precomputed(self, after, kind):
        """Take the step ``after`` worked out, if ``after`` is this session one ``kind``
        step on (the very records): nothing worked out again. Whether it was taken."""
        if after is None or not _one_step_on(self.steps, after.steps, kind):
            return False
        self.steps.append(after.steps[-1])
        self.labels, self.next_update = after.labels, after.next_update
        return True

    def step(self, precomputed=None):
        """Whichever step comes next (``precomputed``: as for ``assign``)."""
        if self.phase == "new":
            self.initialize()
        elif self.phase in ("initialized", "updated"):
            self.assign(precomputed)
        elif not self.converged:
            self.update(precomputed)

    def run(self, max_iter, deadline=None):
        """Step until converged or ``max_iter`` updates are done, ending on an
        assignment (as scikit-learn's ``labels_`` do), or on the last update where
        scikit-learn stops on one. Every step is recorded, so Back undoes them one by
        one. Stops early past ``deadline`` (``time.monotonic()``) and says so."""
        start_iteration = self.iteration
        while not self.converged:
            if self.phase == "assigned" and self.iteration - start_iteration >= max_iter:
                break
            if deadline is not None and time.monotonic() > deadline:
                # A new step record: the old one may be shared with the session copied.
                self.steps[-1] = dataclasses.replace(self.steps[-1], stopped=True)
                break
            self.step()

    def back(self):
        """Undo the last step, or the last centre picked."""
        if not self.steps:
            if not self.picked:
                raise StepRefused("nothing_to_undo")
            self.picked -= 1
            return
        if self.steps.pop().kind == "init" and self.picked == self.k:
            self.picked -= 1  # that Init was the last pick
        self.labels = self.next_update = None
        for index in range(len(self.steps) - 1, -1, -1):
            if self.steps[index].kind == "assign":
                # The same centroids give the same labels: recompute rather than keep them all.
                labels, _ = engine.assign(self.data.X, self._centroids_before(index))
                self.labels = read_only(labels.astype(_label_dtype(self.k)))
                break

    def reset(self):
        """Forget the centroids and every step; keep the data."""
        self.steps.clear()
        self.labels = self.next_update = None
        self.picked = 0

    def copy(self):
        """The same session, whose steps can go on apart from this one's (the steps
        taken so far and their arrays are shared: they are read-only)."""
        return Session(data=self.data, k=self.k, init=self.init, seed=self.seed, id=self.id,
                       steps=list(self.steps), labels=self.labels,
                       next_update=self.next_update, picked=self.picked)

    def fork(self):
        """The same run as a new session of its own, under a new id."""
        forked = self.copy()
        forked.id = new_session_id()
        return forked

    def _centroids_before(self, index):
        """The centroids as they stood before step ``index`` (None before init)."""
        for step in reversed(self.steps[:index]):
            if step.centroids is not None:
                return step.centroids
        return None


def _one_step_on(steps, later, kind):
    """Whether the steps ``later`` are ``steps`` (the very records) and one ``kind`` more."""
    return (len(later) == len(steps) + 1 and later[-1].kind == kind
            and all(a is b for a, b in zip(steps, later)))


def _label_dtype(k):
    """The narrowest type for labels 0 to k - 1: a byte a point up to 256 clusters."""
    return np.uint8 if k <= 2**8 else np.uint16 if k <= 2**16 else np.uint32
