"""Sessions in this process's memory: the default store, for one process.

``MemoryStore`` keeps at most ``max_sessions`` (the least recently used goes
first) and forgets a session idle for ``idle_seconds``; a lock per session
serialises its steps. The interface is described in ``app.stores.base``;
``redis_store.RedisStore`` shares sessions between processes and servers.
"""

import threading
import time
from collections import OrderedDict

from app.stores.base import (Durability, TooManySteps, UnknownSession, Versioned,
                             replayed_or_stale)

DURABILITY = Durability(False, "sessions are kept in this process's memory: a restart of the "
                               "app loses them (set REDIS_URL to keep them in Redis)")


class MemoryStore:
    """Sessions in this process's memory, bounded in number and idle time."""

    def __init__(self, max_sessions=10000, idle_seconds=6 * 3600, clock=time.monotonic):
        self.max_sessions = max_sessions
        self.idle_seconds = idle_seconds
        self._clock = clock
        self._sessions = OrderedDict()  # id -> (Versioned, last used), least recent first
        self._guard = threading.Lock()
        self._locks = {}
        self._windows = {}  # id -> (end of its step-limit window, steps counted in it)

    def get(self, session_id):
        """The session, or None if there is none (or it expired)."""
        found = self.read(session_id)
        return None if found is None else found.session

    def read(self, session_id):
        """The session with its version, or None."""
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
            self._sessions[session.id] = (Versioned(1, session), self._clock())
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

    def apply(self, session_id, action, limit=None, precondition=None):
        """Take one step: ``action`` on a copy of the session, saved over the version it
        was taken from, answered with its new version; from the version
        ``precondition`` names, if given (see ``base``)."""
        with self._guard:
            if limit is not None and session_id in self._sessions:
                self._count_step(session_id, limit)
            lock = self._locks.setdefault(session_id, threading.Lock())
        try:
            with lock:
                current = self.read(session_id)
                if current is None:
                    raise UnknownSession(session_id)
                if precondition is not None and precondition.version != current.version:
                    return replayed_or_stale(precondition, current)
                changed = current.session.copy()
                action(changed)
                changed = Versioned(current.version + 1, changed,
                                    precondition and precondition.request_key)
                with self._guard:
                    if session_id in self._sessions:  # not deleted meanwhile
                        self._sessions[session_id] = (changed, self._clock())
                return changed
        finally:
            with self._guard:
                if session_id not in self._sessions:
                    self._forget(session_id)

    def ping(self):
        """The store answers (always, in memory)."""
        return True

    def durability(self):
        return DURABILITY

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
