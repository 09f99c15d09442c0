"""Sessions in Redis, shared by every worker and every server of a class.

Each session is one hash: its record (``r``, see ``records``) and a version
number (``v``), one more with every step saved. Its expiry is pushed back on
every read and write, so a class's sessions outlive restarts of the app and are
forgotten once idle.

A step is saved only over the version it was taken from (optimistic
versioning, in one Lua script that also counts the step against its limit). A
step that lost the race to another click, on this server or another, is taken
again from the session that won, which the script sends back. So no step is
lost, duplicated or interleaved, and no lock is held while a step computes.

Each worker keeps the sessions it saved or read last, with their versions. A
class's clicks on one session mostly come back to the same worker, on a
kept-alive connection: such a step is computed from the session kept here and
saved in one round trip to Redis. Only if it was stale (the script then says
so) does it cost another. A step that the session kept here refuses (a 409) is
refused only once the stored session is read and refuses it too; one past the
limit is refused here, without a round trip, until its window ends.

A step asked from the version a client saw (its ``precondition``) is saved with its
``request_key`` (``m``): sent again after its answer was lost, it finds that key on the version
it made and answers that, taking no second step.

Every call waits at most ``timeout`` seconds for Redis: a Redis that hangs
gives a 503 at once rather than a class of frozen pages.
"""

import dataclasses
import functools
import secrets
import threading
import time
from collections import OrderedDict

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from app.stores.base import (Durability, SessionBusy, StoreUnavailable, TooManySteps,
                             UnknownSession, Versioned, replayed_or_stale)
from app.stores.records import RecentCustomSets, from_record, to_record

# KEYS: session. ARGV: record, idle ms. A new session, at version 1.
PUT = """
redis.call('HSET', KEYS[1], 'v', 1, 'r', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
"""
# A session is a hash; any other key by its name (none, or one left by an older
# version of the app) is no session.
# KEYS: session. ARGV: idle ms. {version, record, request_key}, or {false, false, false} when
# there is none.
LOAD = """
if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then return {false, false, false} end
local found = redis.call('HMGET', KEYS[1], 'v', 'r', 'm')
if found[1] then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return found
"""
SAVED, RACED, PAST_LIMIT, GONE = 1, 0, 2, 3
# KEYS: session, step count, and the key of the session's class to read (optional).
# ARGV: the version the step was taken from, the new record, idle ms, steps allowed in
# the window (0: count nothing), window ms, a token of this save, the step's request_key.
# Answers {SAVED, the class key's value}; {RACED, version, record, request_key} when
# another step was saved first; {PAST_LIMIT, ms until the window ends}; {GONE} when
# there is no session. A save sent again because its reply was lost finds its token:
# saved.
SAVE_OVER = """
local function saved()
    if KEYS[3] then return {1, redis.call('GET', KEYS[3])} end
    return {1}
end
if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then return {3} end
if redis.call('HGET', KEYS[1], 't') == ARGV[6] then return saved() end
local allowed = tonumber(ARGV[4])
if allowed > 0 then
    local steps = redis.call('INCR', KEYS[2])
    if steps == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[5]) end
    if steps > allowed then return {2, redis.call('PTTL', KEYS[2])} end
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local version = redis.call('HGET', KEYS[1], 'v')
if version ~= ARGV[1] then return {0, version, unpack(redis.call('HMGET', KEYS[1], 'r', 'm'))} end
redis.call('HSET', KEYS[1], 'v', version + 1, 'r', ARGV[2], 't', ARGV[6], 'm', ARGV[7])
return saved()
"""


def _unreachable_as_unavailable(method):
    """Redis down or silent leaves as the stores' own ``StoreUnavailable``."""

    @functools.wraps(method)
    def guarded(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError) as error:
            raise StoreUnavailable(str(error)) from error

    return guarded


class RedisStore:
    """Sessions as versioned records in Redis; each step saved over the version it read."""

    def __init__(self, client, idle_seconds, wait_seconds, prefix="kmeans:", cached=1000,
                 datasets=None, class_key=None):
        self.client = client
        # Where the records' data sets are rebuilt: the app's (``datasets.Library``);
        # None: the module's defaults, outside an app.
        self.datasets = datasets
        self._custom_sets = RecentCustomSets(size=32)
        self.idle_ms = int(idle_seconds * 1000)
        self.wait_seconds = wait_seconds
        self.prefix = prefix
        self._put = client.register_script(PUT)
        self._load = client.register_script(LOAD)
        self._save_over = client.register_script(SAVE_OVER)
        self._cache = _Recent(cached)  # id -> Versioned, saved or read here last
        # A session id -> the key of the class following it, read with each step in the
        # same round trip (``Versioned.class_code``); None: not read.
        self.class_key = class_key
        self._refused = _Recent(cached)  # id -> when its step window ends, once past its limit

    @classmethod
    def from_url(cls, url, idle_seconds, step_seconds, timeout=0.5, datasets=None,
                 class_key=None):
        """A store on ``url`` whose steps wait at most a step's time (``step_seconds``) more,
        and whose every call waits at most ``timeout`` seconds for Redis."""
        client = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            # One quick retry rides over a restarted Redis (the pool's old connections
            # are dead). A Redis that is silent is not asked again: that would only
            # delay the 503.
            retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), retries=1,
                        supported_errors=(redis.ConnectionError,)),
            health_check_interval=30,
        )
        return cls(client, idle_seconds, wait_seconds=step_seconds + 5, datasets=datasets,
                   class_key=class_key)

    def _from_record(self, record):
        return from_record(record, self.datasets, self._custom_sets)

    @_unreachable_as_unavailable
    def put(self, session):
        self._put(keys=[self._key(session.id)], args=[to_record(session), self.idle_ms])
        self._cache.set(session.id, Versioned(1, session))

    def get(self, session_id):
        """The session, or None if there is none (or it expired); its expiry starts again."""
        found = self.read(session_id)
        return None if found is None else found.session

    @_unreachable_as_unavailable
    def read(self, session_id):
        """The session with its version, or None; its expiry starts again."""
        return self._read(session_id)

    @_unreachable_as_unavailable
    def delete(self, session_id):
        """Forget the session; True if there was one."""
        self._cache.pop(session_id)
        return self.client.delete(self._key(session_id)) == 1

    @_unreachable_as_unavailable
    def apply(self, session_id, action, limit=None, precondition=None):
        """Take one step: ``action`` on a copy of the session, saved over the version it
        was taken from, answered with its new version; from the version
        ``precondition`` names, if given (see ``base``): a lost race is then no retry but stale."""
        refused_until = self._refused.get(session_id)
        if refused_until is not None and refused_until > time.monotonic():
            raise TooManySteps(refused_until - time.monotonic())
        allowed, window_ms = (0, 0) if limit is None else (limit.amount, int(limit.seconds * 1000))
        current = self._cache.get(session_id)
        unchecked = current is not None  # what is kept here may be behind the stored session
        if current is None or (precondition is not None
                               and current.version != precondition.version):
            current, unchecked = self._read_or_404(session_id), False
        deadline = time.monotonic() + self.wait_seconds
        token = secrets.token_hex(8)
        while True:
            if precondition is not None and current.version != precondition.version:
                return replayed_or_stale(precondition, current)
            changed = current.session.copy()
            try:
                action(changed)
            except Exception:
                if not unchecked:
                    raise
                unchecked = False
                stored = self._read_or_404(session_id)
                if stored.version == current.version:
                    raise
                current = stored
                continue
            request_key = precondition.request_key if precondition is not None else ""
            keys = [self._key(session_id), self._steps_key(session_id)]
            if self.class_key is not None:
                keys.append(self.class_key(session_id))
            answer = self._save_over(
                keys=keys, args=[current.version, to_record(changed), self.idle_ms, allowed,
                                 window_ms, token, request_key])
            if answer[0] == SAVED:
                saved = Versioned(current.version + 1, changed, request_key or None)
                self._cache.set(session_id, saved)  # cached without its class: that ages
                if self.class_key is not None:  # answered as {SAVED, value or nil}
                    saved = dataclasses.replace(saved, class_code=answer[1] and answer[1].decode())
                return saved
            if answer[0] == PAST_LIMIT:
                self._refused.set(session_id, time.monotonic() + answer[1] / 1000)
                raise TooManySteps(answer[1] / 1000)
            if answer[0] == GONE:
                self._cache.pop(session_id)
                raise UnknownSession(session_id)
            # RACED: another step was saved first; this one goes on from it, counted once.
            allowed, unchecked = 0, False
            current = _versioned(answer[1], self._from_record(answer[2]), answer[3])
            self._cache.set(session_id, current)
            if time.monotonic() > deadline:
                raise SessionBusy(self.wait_seconds)

    def ping(self):
        """True if Redis answers (within the timeout)."""
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False

    @_unreachable_as_unavailable
    def durability(self):
        """Whether the sessions would outlive a restart of Redis, from its own settings."""
        try:
            appendonly = self.client.config_get("appendonly").get("appendonly")
            save = self.client.config_get("save").get("save")
        except redis.ResponseError as error:  # CONFIG renamed away, or not allowed to us
            return Durability(None, f"Redis does not let the app read its persistence "
                                    f"settings ({error}): whether sessions outlive a restart "
                                    "of Redis is unknown; check that it runs with appendonly yes")
        if appendonly == "yes":
            return Durability(True, "Redis writes every step to its append-only file: "
                                    "sessions outlive a restart of Redis")
        if save:
            return Durability(False, f"Redis has appendonly no and only snapshots "
                                     f"(save {save!r}): a crash of Redis loses every step "
                                     "since its last snapshot; set appendonly yes "
                                     "(deploy/redis-kmeans.conf)")
        return Durability(False, "Redis has appendonly no and no snapshots (save ''): a restart "
                                 "of Redis loses every session; set appendonly yes "
                                 "(deploy/redis-kmeans.conf)")

    def _read(self, session_id):
        """The session as stored, or None; decoded only if this worker does not keep
        that very version."""
        version, record, request_key = self._load(keys=[self._key(session_id)],
                                                  args=[self.idle_ms])
        if version is None:
            self._cache.pop(session_id)
            return None
        cached = self._cache.get(session_id)
        if cached is not None and cached.version == int(version):
            return cached
        found = _versioned(version, self._from_record(record), request_key)
        self._cache.set(session_id, found)
        return found

    def _read_or_404(self, session_id):
        found = self._read(session_id)
        if found is None:
            raise UnknownSession(session_id)
        return found

    def _key(self, session_id):
        return f"{self.prefix}session:{session_id}"

    def _steps_key(self, session_id):
        return f"{self.prefix}steps:{session_id}"


def _versioned(version, session, request_key):
    """A session as Redis gave it: its version and request_key as bytes, or None."""
    return Versioned(int(version), session, request_key.decode() if request_key else None)


class _Recent:
    """A bounded map, the least recently set going first; safe across threads."""

    def __init__(self, size):
        self.size = size
        self._items = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            return self._items.get(key)

    def set(self, key, value):
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def pop(self, key):
        with self._lock:
            self._items.pop(key, None)
