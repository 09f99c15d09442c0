"""Sessions in Redis, shared by every worker and every server of a class.

Each session is one key holding its record (see ``records``), whose expiry is
pushed back on every read and write, so a class's sessions outlive restarts of
the app and are forgotten once idle.

``lock(id)`` holds a lock in Redis (SET NX PX with a random token), so two
clicks on one session are taken one after the other even when two servers
answer them. A step costs two round trips: the lock is taken together with
the count of the step against its limit and the read of the session, and given
back together with the write, which only happens if the lock is still ours: a
step that outlived its lock is refused rather than written over the next one.

Each worker keeps the sessions it saved last, with their records: when the
record read with the lock is byte for byte the one this worker wrote, the
session it was made from is used again rather than decoded (a class's clicks on
one session mostly come back to the same worker, on a kept-alive connection).
"""

import random
import secrets
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from app.errors import ApiError
from app.records import from_record, to_record
from app.store import TooManySteps

# KEYS: lock, session, step count. ARGV: token, lock ms, idle ms, steps allowed in
# the window (0: count nothing), window ms. Answers {1, record} when the lock is
# taken, {0} when it is held, {2, ms until the window ends} past the limit. The lock
# may already be ours: a retried call whose first reply was lost must not wait on it.
TAKE = """
local allowed = tonumber(ARGV[4])
if allowed > 0 and redis.call('EXISTS', KEYS[2]) == 1 then
    local steps = redis.call('INCR', KEYS[3])
    if steps == 1 then redis.call('PEXPIRE', KEYS[3], ARGV[5]) end
    if steps > allowed then return {2, redis.call('PTTL', KEYS[3])} end
end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
        and redis.call('GET', KEYS[1]) ~= ARGV[1] then
    return {0, false}
end
return {1, redis.call('GETEX', KEYS[2], 'PX', ARGV[3])}
"""
# KEYS: lock, session. ARGV: token, record, idle ms. Saved already (a retried call)
# counts as saved.
SAVE_AND_GIVE_BACK = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
    return redis.call('GET', KEYS[2]) == ARGV[2] and 1 or 0
end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('DEL', KEYS[1])
return 1
"""
# KEYS: lock. ARGV: token. Never someone else's lock, taken after ours expired.
GIVE_BACK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class SessionBusy(ApiError):
    """The session's lock could not be had in time, or was lost before the save."""

    def __init__(self, message):
        super().__init__(503, message)


@dataclass
class _Hold:
    """A lock this thread holds, and the session as it stands for the holder."""

    token: str
    record: bytes | None
    unsaved: bool = False
    session: object = None  # the session put, made into ``record``


class RedisStore:
    """Sessions as records in Redis, each step under a lock held in Redis."""

    def __init__(self, client, idle_seconds, lock_seconds, wait_seconds, prefix="kmeans:",
                 kept=1000):
        self.client = client
        self.idle_ms = int(idle_seconds * 1000)
        self.lock_ms = int(lock_seconds * 1000)
        self.wait_seconds = wait_seconds
        self.prefix = prefix
        self._take = client.register_script(TAKE)
        self._save_and_give_back = client.register_script(SAVE_AND_GIVE_BACK)
        self._give_back = client.register_script(GIVE_BACK)
        self._local = threading.local()
        self._saved = _SavedSessions(kept)

    @classmethod
    def from_url(cls, url, idle_seconds, step_seconds):
        """A store on ``url`` whose lock outlasts the longest step (``step_seconds``)."""
        client = redis.Redis.from_url(
            url,
            socket_timeout=5,
            socket_connect_timeout=2,
            # A couple of quick retries ride over a restarted Redis (the pool's old
            # connections are dead); more would only delay the 503 when it is down.
            retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), retries=2),
            health_check_interval=30,
        )
        return cls(client, idle_seconds, lock_seconds=2 * step_seconds + 10,
                   wait_seconds=step_seconds + 5)

    def get(self, session_id):
        """The session, or None if there is none (or it expired); its expiry starts again."""
        hold = self._holds().get(session_id)
        if hold is None:
            record = self.client.getex(self._key(session_id), px=self.idle_ms)
            return None if record is None else from_record(record)
        # Read with the lock, and no one else may write it since.
        if hold.record is None:
            return None
        saved = self._saved.take(session_id, hold.record)
        return saved if saved is not None else from_record(hold.record)

    def put(self, session):
        """Save the session; under its lock, when the lock is given back. Once given
        back, the session must not change: this worker's next step on it may use it."""
        record = to_record(session)
        hold = self._holds().get(session.id)
        if hold is not None:
            hold.record, hold.unsaved, hold.session = record, True, session
        else:
            self.client.set(self._key(session.id), record, px=self.idle_ms)

    def delete(self, session_id):
        """Forget the session; True if there was one."""
        hold = self._holds().get(session_id)
        if hold is not None:
            hold.record, hold.unsaved, hold.session = None, False, None
        return self.client.delete(self._key(session_id)) == 1

    @contextmanager
    def lock(self, session_id, limit=None):
        """Hold this session for one step: other steps on it, on any server, wait. With
        a ``limit``, count the step first (a session that does not exist counts nothing)."""
        token = secrets.token_hex(16)
        hold = _Hold(token, self._wait_for_lock(session_id, token, limit))
        self._holds()[session_id] = hold
        try:
            yield
        finally:
            del self._holds()[session_id]
            self._release(session_id, hold)

    def ping(self):
        """True if Redis answers."""
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False

    def _wait_for_lock(self, session_id, token, limit):
        """Count the step, take the lock, waiting for it if need be; the session's record."""
        keys = [self._lock_key(session_id), self._key(session_id), self._steps_key(session_id)]
        allowed, window_ms = (0, 0) if limit is None else (limit.amount, int(limit.seconds * 1000))
        deadline = time.monotonic() + self.wait_seconds
        pause = 0.001
        while True:
            taken, record = self._take(
                keys=keys, args=[token, self.lock_ms, self.idle_ms, allowed, window_ms])
            if taken == 1:
                return record
            if taken == 2:
                raise TooManySteps(record / 1000)
            allowed = 0  # counted once, however long it waits
            if time.monotonic() > deadline:
                raise SessionBusy(f"this session is busy with another step (waited "
                                  f"{self.wait_seconds:g} s); try again in a moment")
            # Jittered, growing pauses: racing clicks do not poll Redis in lockstep.
            time.sleep(pause * random.uniform(0.5, 1.5))
            pause = min(pause * 2, 0.05)

    def _release(self, session_id, hold):
        lock_key = self._lock_key(session_id)
        if not hold.unsaved:
            self._give_back(keys=[lock_key], args=[hold.token])
        elif self._save_and_give_back(keys=[lock_key, self._key(session_id)],
                                      args=[hold.token, hold.record, self.idle_ms]):
            self._saved.keep(session_id, hold.record, hold.session)
        else:
            raise SessionBusy("this step took longer than a session may be held, so it was "
                              "not saved; try it again")

    def _holds(self):
        """This thread's locks, by session id."""
        if not hasattr(self._local, "holds"):
            self._local.holds = {}
        return self._local.holds

    def _key(self, session_id):
        return f"{self.prefix}session:{session_id}"

    def _lock_key(self, session_id):
        return f"{self.prefix}lock:{session_id}"

    def _steps_key(self, session_id):
        return f"{self.prefix}steps:{session_id}"


class _SavedSessions:
    """The sessions this worker saved last, each with the record it was saved as."""

    def __init__(self, size):
        self.size = size
        self._sessions = OrderedDict()  # id -> (record, session), least recent first
        self._lock = threading.Lock()

    def take(self, session_id, record):
        """The session saved as ``record``, or None; either way no longer kept here, so
        that only the holder of the session's lock has it."""
        with self._lock:
            saved = self._sessions.pop(session_id, None)
        return saved[1] if saved is not None and saved[0] == record else None

    def keep(self, session_id, record, session):
        with self._lock:
            self._sessions[session_id] = (record, session)
            self._sessions.move_to_end(session_id)
            while len(self._sessions) > self.size:
                self._sessions.popitem(last=False)
