"""Where sessions live between requests: a small get / put / delete interface.

``MemoryStore`` is the default, for one process: it keeps at most
``max_sessions`` (the least recently used goes first) and forgets a session
idle for ``idle_seconds``. ``lock(id)`` serialises the steps of one session, so
two clicks racing on it never lose or interleave a step.
"""

import threading
import time
from collections import OrderedDict
from contextlib import contextmanager


class MemoryStore:
    """Sessions in this process's memory, bounded in number and idle time."""

    def __init__(self, max_sessions=10000, idle_seconds=6 * 3600, clock=time.monotonic):
        self.max_sessions = max_sessions
        self.idle_seconds = idle_seconds
        self._clock = clock
        self._sessions = OrderedDict()  # id -> (session, last used), least recent first
        self._guard = threading.Lock()
        self._locks = {}

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
                self._locks.pop(evicted, None)

    def delete(self, session_id):
        """Forget the session; True if there was one."""
        with self._guard:
            self._locks.pop(session_id, None)
            return self._sessions.pop(session_id, None) is not None

    def __len__(self):
        with self._guard:
            self._expire()
            return len(self._sessions)

    @contextmanager
    def lock(self, session_id):
        """Hold this session for one step: other steps on it wait."""
        with self._guard:
            lock = self._locks.setdefault(session_id, threading.Lock())
        try:
            with lock:
                yield
        finally:
            with self._guard:
                if session_id not in self._sessions:
                    self._locks.pop(session_id, None)

    def ping(self):
        """The store answers (always, in memory)."""
        return True

    def _expire(self):
        cutoff = self._clock() - self.idle_seconds
        while self._sessions:
            session_id, (_, used) = next(iter(self._sessions.items()))
            if used >= cutoff:
                break
            del self._sessions[session_id]
            self._locks.pop(session_id, None)
