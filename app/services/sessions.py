"""A student's session: create it, read it, take a step, preview the next one, fork it.

The stores make each step one atomic change; here are the rules around it: the
step limit, the replay of a step sent again (``Precondition``), the step worked
out ahead of time (``PrecomputedSteps``), and the announcement of a step to those
who follow the session (a live class).
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass

from app.core.session import Session
from app.stores.base import SessionStore, StepLimit, Versioned

# The steps a client may ask for by name, and whether the step worked out ahead of
# time can stand for it (the others work it out afresh).
STEPS = {
    "pick": False, "assign": True, "update": True, "step": True,
    "back": False, "reset": False,
}


class PrecomputedSteps:
    """The session after its next step, worked out when a client asked what that step
    will do (``preview``): kept per session with the version it was worked out from,
    so that taking that step next costs no second pass over the data. Bounded; one
    per app. A session's copy never carries it: a fork starts without one."""

    def __init__(self, size=1000):
        self.size = size
        self._entries = OrderedDict()  # session id -> (version, the session one step on)
        self._lock = threading.Lock()

    def preview(self, found):
        """``found`` (a stored ``Versioned``) after its next step, without taking it."""
        session_id = found.session.id
        with self._lock:
            entry = self._entries.get(session_id)
            if entry is not None and entry[0] == found.version:
                self._entries.move_to_end(session_id)
                return entry[1]
        after = found.session.copy()
        after.step()
        with self._lock:
            self._entries[session_id] = (found.version, after)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return after

    def take(self, session_id):
        """The step worked out ahead for the session, forgotten here; None if there is none."""
        with self._lock:
            entry = self._entries.pop(session_id, None)
        return None if entry is None else entry[1]

    def forget(self, session_id):
        with self._lock:
            self._entries.pop(session_id, None)


@dataclass(frozen=True)
class Stepped:
    """A step taken: the session as stored after it, its state as ``present`` gave it,
    and whether the step left the labels as they were (an Update's), so that a client
    that has them need not get them again."""

    found: Versioned
    state: object
    labels_unchanged: bool


def create(store: SessionStore, data, k, init, seed) -> Versioned:
    """A new session on ``data`` (k, init and seed already validated), stored."""
    session = Session(data=data, k=k, init=init, seed=seed)
    store.put(session)
    return Versioned(1, session)


def fork(store: SessionStore, session: Session) -> Versioned:
    """A copy of ``session`` under a new id, stored: a run of one's own from its step."""
    forked = session.fork()
    store.put(forked)
    return Versioned(1, forked)


def step(store: SessionStore, precomputed: PrecomputedSteps, session_id, action, *,
         limit: StepLimit | None = None, precondition=None, present=lambda session: None,
         after_step=()) -> Stepped:
    """Take ``action`` on the session, counted against ``limit``, from the version
    ``precondition`` names if any (a step sent again answers the version it made;
    ``StaleVersion`` if the session moved on). ``action``: the name of a step in
    ``STEPS``, or a function of the session. ``present(session)`` gives the state the
    step is answered and announced with; each of ``after_step(found, state)`` is then
    called (e.g. a live class's announcement)."""
    ahead = precomputed.take(session_id)
    labels_unchanged = False

    def taken(session):
        nonlocal labels_unchanged
        before = session.labels
        if callable(action):
            action(session)
        elif STEPS[action]:
            getattr(session, action)(precomputed=ahead)
        else:
            getattr(session, action)()
        labels_unchanged = before is not None and session.labels is before

    found = store.apply(session_id, taken, limit=limit, precondition=precondition)
    state = present(found.session)
    for announce in after_step:
        announce(found, state)
    return Stepped(found, state, labels_unchanged)


def delete(store: SessionStore, precomputed: PrecomputedSteps, session_id) -> bool:
    """Forget the session; whether there was one."""
    precomputed.forget(session_id)
    return store.delete(session_id)
