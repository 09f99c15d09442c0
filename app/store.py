"""Where sessions live between requests: a small get / put / delete interface.

``MemoryStore`` is the default, for one process: it keeps at most
``max_sessions`` (the least recently used goes first) and forgets a session
idle for ``idle_seconds``. ``lock(id)`` serialises the steps of one session, so
two clicks racing on it never lose or interleave a step; given a ``StepLimit``,
it counts the step too, and refuses it past the limit. The count lives with the
lock so that, in Redis, taking the lock, counting the step and reading the
session are one round trip.
"""

import math
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass

from app.errors import ApiError


@dataclass(frozen=True)
class StepLimit:
    """At most ``amount`` steps on one session in a window of ``seconds``, from its first."""

    amount: int
    seconds: float


class TooManySteps(ApiError):
    """A step past its session's limit: a 429 that says when to try again."""

    def __init__(self, seconds_left):
        super().__init__(429, "too many steps on this session; wait a moment",
                         headers={"Retry-After": str(max(1, math.ceil(seconds_left)))})


class MemoryStore:
    """Sessions in this process's memory, bounded in number and idle time."""

    def __init__(self, max_sessions=10000, idle_seconds=6 * 3600, clock=time.monotonic):
        self.max_sessions = max_sessions
        self.idle_seconds = idle_seconds
        self._clock = clock
        self._sessions = OrderedDict()  # id -> (session, last used), least recent first
        self._guard = threading.Lock()
        self._locks = {}
        self._windows = {}  # id -> (end of its step-limit window, steps counted in it)

    def get(self, session_id):
        """The session, or None if there is none (or it expired)."""
        with self._guard:
            self._expire()
            entry = self._sessions.get(session_id)
            if entry is None:
                return None
            self._sessions[session_id] = (entry[0], self._clock())
            self._sessions.move_to_end(session_id)
            return entry[0]

    def put(self, session):
        with self._guard:
            self._sessions[session.id] = (session, self._clock())
            self._sessions.move_to_end(session.id)
            self._expire()
            while len(self._sessions) > self.max_sessions:
                evicted, _ = self._sessions.popitem(last=False)
                self._forget(evicted)

    def delete(self, session_id):
        """Forget the session; True if there was one."""
        with self._guard:
            self._forget(session_id)
            return self._sessions.pop(session_id, None) is not None

    def __len__(self):
        with self._guard:
            self._expire()
            return len(self._sessions)

    @contextmanager
    def lock(self, session_id, limit=None):
        """Hold this session for one step: other steps on it wait. With a ``limit``,
        count the step first (a session that does not exist counts nothing)."""
        with self._guard:
            if limit is not None and session_id in self._sessions:
                self._count_step(session_id, limit)
            lock = self._locks.setdefault(session_id, threading.Lock())
        try:
            with lock:
                yield
        finally:
            with self._guard:
                if session_id not in self._sessions:
                    self._forget(session_id)

    def ping(self):
        """The store answers (always, in memory)."""
        return True

    def _count_step(self, session_id, limit):
        now = self._clock()
        ends, steps = self._windows.get(session_id, (now, 0))
        if ends <= now:
            ends, steps = now + limit.seconds, 0
        self._windows[session_id] = (ends, steps + 1)
        if steps + 1 > limit.amount:
            raise TooManySteps(ends - now)

    def _forget(self, session_id):
        """Its lock and step count, once the session is gone."""
        self._locks.pop(session_id, None)
        self._windows.pop(session_id, None)

    def _expire(self):
        cutoff = self._clock() - self.idle_seconds
        while self._sessions:
            session_id, (_, used) = next(iter(self._sessions.items()))
            if used >= cutoff:
                break
            del self._sessions[session_id]
            self._forget(session_id)
