"""Live classes in Redis: a teacher on any worker or server, followers on any other.

A class is a hash (its session, the digest of the teacher's token, hold, ended,
and the number of its last event); its events are kept in a short list, the
backlog a dropped stream resumes from, and published on one channel. Each
process subscribes once, in one background thread, and hands each event to
its own listeners (``live.Broker``): a class of 300 students costs Redis one
message per event per process, not one per student. After Redis comes back
the thread subscribes again and hands on what was published meanwhile, from
the backlogs.

Every change is one Lua script, so an event is numbered, kept and published
at once. Open streams are counted in a sorted set, each until its next
heartbeat is due; a worker that dies stops counting by itself.
"""

import threading
import time

import redis

from app.core.classroom import Classroom, Event
from app.stores.base import NOT_READ, StoreUnavailable
from app.stores.live import (Broker, ClassEnded, CodeTaken, SessionTaught, TooManyClasses,
                             TooManyFollowers, UnknownClass)
from app.stores.redis_store import _unreachable_as_unavailable

# Keys, from the prefix: class:CODE (hash: s session, d digest, h hold, e ended,
# n last event, f forks), class-session:ID -> CODE, class-events:CODE (list),
# class-followers:CODE (sorted set, until when each counts), classes (sorted
# set of live codes, until when each is kept).
TOUCH = """
local function touch(prefix, code, session, idle, now)
    redis.call('PEXPIRE', prefix .. 'class:' .. code, idle)
    redis.call('PEXPIRE', prefix .. 'class-events:' .. code, idle)
    redis.call('PEXPIRE', prefix .. 'class-followers:' .. code, idle)
    redis.call('SET', prefix .. 'class-session:' .. session, code, 'PX', idle)
    redis.call('ZADD', prefix .. 'classes', now + idle, code)
end
local function state(prefix, code)
    local found = redis.call('HMGET', prefix .. 'class:' .. code, 'e', 's')
    if not found[1] then return -1 end
    if found[1] == '1' then return -2 end
    return found[2]
end
local function publish(prefix, code, kind, data, backlog, channel)
    local id = redis.call('HINCRBY', prefix .. 'class:' .. code, 'n', 1)
    local message = id .. ' ' .. kind .. ' ' .. data
    local events = prefix .. 'class-events:' .. code
    redis.call('RPUSH', events, message)
    redis.call('LTRIM', events, -tonumber(backlog), -1)
    redis.call('PUBLISH', channel, code .. ' ' .. message)
    return id
end
"""
# ARGV: prefix, code, session, digest, idle ms, now ms, most classes.
# {0} opened; {1} code taken; {2, code} session taught; {3} too many classes.
OPEN = TOUCH + """
local prefix, code, session = ARGV[1], ARGV[2], ARGV[3]
local idle, now = tonumber(ARGV[5]), tonumber(ARGV[6])
if redis.call('EXISTS', prefix .. 'class:' .. code) == 1 then return {1} end
local taught = redis.call('GET', prefix .. 'class-session:' .. session)
if taught and state(prefix, taught) == session then return {2, taught} end
redis.call('ZREMRANGEBYSCORE', prefix .. 'classes', '-inf', now)
if redis.call('ZCARD', prefix .. 'classes') >= tonumber(ARGV[7]) then return {3} end
redis.call('HSET', prefix .. 'class:' .. code, 's', session, 'd', ARGV[4], 'h', 0, 'e', 0, 'n', 0)
touch(prefix, code, session, idle, now)
return {0}
"""
# ARGV: prefix, code, idle ms, now ms, then field and value pairs (s: session, h: hold).
# {0} changed; {-1} unknown; {-2} ended.
CHANGE = TOUCH + """
local prefix, code = ARGV[1], ARGV[2]
local session = state(prefix, code)
if session == -1 or session == -2 then return {session} end
for i = 5, #ARGV, 2 do
    if ARGV[i] == 's' then
        redis.call('DEL', prefix .. 'class-session:' .. session)
        session = ARGV[i + 1]
    end
    redis.call('HSET', prefix .. 'class:' .. code, ARGV[i], ARGV[i + 1])
end
touch(prefix, code, session, tonumber(ARGV[3]), tonumber(ARGV[4]))
return {0}
"""
# ARGV: prefix, code, kind, data, idle ms, now ms, backlog, channel. The event's id; -1, -2.
PUBLISH = TOUCH + """
local prefix, code = ARGV[1], ARGV[2]
local session = state(prefix, code)
if session == -1 or session == -2 then return session end
touch(prefix, code, session, tonumber(ARGV[5]), tonumber(ARGV[6]))
return publish(prefix, code, ARGV[3], ARGV[4], ARGV[7], ARGV[8])
"""
# ARGV: prefix, code, data, kept ms, backlog, channel. The "end" event's id; -1, -2.
END = TOUCH + """
local prefix, code = ARGV[1], ARGV[2]
local session = state(prefix, code)
if session == -1 or session == -2 then return session end
local id = publish(prefix, code, 'end', ARGV[3], ARGV[5], ARGV[6])
redis.call('HSET', prefix .. 'class:' .. code, 'e', 1)
redis.call('PEXPIRE', prefix .. 'class:' .. code, ARGV[4])
redis.call('PEXPIRE', prefix .. 'class-events:' .. code, ARGV[4])
redis.call('DEL', prefix .. 'class-session:' .. session, prefix .. 'class-followers:' .. code)
redis.call('ZREM', prefix .. 'classes', code)
return id
"""
# ARGV: prefix, code, follower, until ms, now ms, most followers. 0 counted; 1 too many; -1, -2.
FOLLOW = TOUCH + """
local prefix, code = ARGV[1], ARGV[2]
local session = state(prefix, code)
if session == -1 or session == -2 then return session end
local followers = prefix .. 'class-followers:' .. code
redis.call('ZREMRANGEBYSCORE', followers, '-inf', ARGV[5])
if not redis.call('ZSCORE', followers, ARGV[3])
        and redis.call('ZCARD', followers) >= tonumber(ARGV[6]) then return 1 end
redis.call('ZADD', followers, ARGV[4], ARGV[3])
redis.call('PEXPIRE', followers, redis.call('PTTL', prefix .. 'class:' .. code))
return 0
"""
# ARGV: prefix, code. The forks counted so far; -1, -2.
COUNT_FORK = TOUCH + """
local prefix, code = ARGV[1], ARGV[2]
local session = state(prefix, code)
if session == -1 or session == -2 then return session end
return redis.call('HINCRBY', prefix .. 'class:' .. code, 'f', 1)
"""

RECONNECT_SECONDS = (0.05, 0.1, 0.2, 0.5, 1.0)  # waits between tries, the last repeated


def _now_ms():
    return int(time.time() * 1000)


def session_class_key(session_id, prefix="kmeans:"):
    """The key that links a session to the class following it (its code): the session
    store reads it in the round trip of a step (``RedisStore(class_key=...)``)."""
    return f"{prefix}class-session:{session_id}"


class RedisClassrooms:
    """Classes in Redis, their events on one pub/sub channel."""

    def __init__(self, client, max_classes=100, idle_seconds=2 * 3600, ended_seconds=3600,
                 backlog=100, prefix="kmeans:"):
        self.client = client
        self.max_classes = max_classes
        self.idle_ms = int(idle_seconds * 1000)
        self.ended_ms = int(ended_seconds * 1000)
        self.backlog = backlog
        self.prefix = prefix
        self.channel = f"{prefix}class-events"
        self._open = client.register_script(OPEN)
        self._change = client.register_script(CHANGE)
        self._publish = client.register_script(PUBLISH)
        self._end = client.register_script(END)
        self._follow = client.register_script(FOLLOW)
        self._count_fork = client.register_script(COUNT_FORK)
        self._broker = Broker()
        self._subscriber = None
        self._starting = threading.Lock()
        self.subscribed = threading.Event()  # set while the channel is subscribed to

    @_unreachable_as_unavailable
    def open(self, classroom):
        answer = self._open(args=[self.prefix, classroom.code, classroom.session_id,
                                  classroom.digest, self.idle_ms, _now_ms(), self.max_classes])
        if answer[0] == 1:
            raise CodeTaken(classroom.code)
        if answer[0] == 2:
            raise SessionTaught(answer[1].decode())
        if answer[0] == 3:
            raise TooManyClasses(self.max_classes)

    @_unreachable_as_unavailable
    def get(self, code):
        session, digest, hold, ended, forks = self.client.hmget(self._key(code), "s", "d", "h",
                                                                "e", "f")
        if session is None:
            return None
        return Classroom(code=code, session_id=session.decode(), digest=digest.decode(),
                         hold=hold == b"1", ended=ended == b"1", forks=int(forks or 0))

    def session_key(self, session_id):
        """The key that links a session to the class following it (its code)."""
        return session_class_key(session_id, self.prefix)

    @_unreachable_as_unavailable
    def of_session(self, session_id, class_code=NOT_READ):
        """The open class following the session, or None. ``class_code``: the value of
        ``session_key`` if it was read already (with the step, by the session store)."""
        if class_code is NOT_READ:
            class_code = self.client.get(self.session_key(session_id))
            class_code = class_code and class_code.decode()
        if class_code is None:
            return None
        classroom = self.get(class_code)
        if classroom is None or classroom.ended or classroom.session_id != session_id:
            return None
        return classroom

    @_unreachable_as_unavailable
    def change(self, code, **fields):
        pairs = []
        if "session_id" in fields:
            pairs += ["s", fields["session_id"]]
        if "hold" in fields:
            pairs += ["h", int(bool(fields["hold"]))]
        self._check(code, self._change(args=[self.prefix, code, self.idle_ms, _now_ms(), *pairs])[0])
        return self.get(code)

    def touch(self, code):
        self.change(code)

    @_unreachable_as_unavailable
    def end(self, code, data):
        event_id = self._end(args=[self.prefix, code, data, self.ended_ms, self.backlog,
                                   self.channel])
        self._check(code, event_id)
        return Event(event_id, "end", data)

    @_unreachable_as_unavailable
    def publish(self, code, kind, data):
        event_id = self._publish(args=[self.prefix, code, kind, data, self.idle_ms, _now_ms(),
                                       self.backlog, self.channel])
        self._check(code, event_id)
        return Event(event_id, kind, data)

    @_unreachable_as_unavailable
    def last_event_id(self, code):
        return int(self.client.hget(self._key(code), "n") or 0)

    @_unreachable_as_unavailable
    def events_after(self, code, event_id):
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hget(self._key(code), "n")
            pipe.lrange(f"{self.prefix}class-events:{code}", 0, -1)
            last, messages = pipe.execute()
        events = [_event(message) for message in messages]
        if event_id < int(last or 0) and (not events or events[0].id > event_id + 1):
            return None
        return [event for event in events if event.id > event_id]

    def listen(self, code):
        self._start_subscriber()
        return self._broker.listener(code)

    @_unreachable_as_unavailable
    def follow(self, code, follower, seconds, limit):
        now = _now_ms()
        answer = self._follow(args=[self.prefix, code, follower, now + int(seconds * 1000), now,
                                    limit])
        self._check(code, answer)
        if answer == 1:
            raise TooManyFollowers(limit)

    @_unreachable_as_unavailable
    def count_fork(self, code):
        self._check(code, self._count_fork(args=[self.prefix, code]))

    @_unreachable_as_unavailable
    def unfollow(self, code, follower):
        self.client.zrem(f"{self.prefix}class-followers:{code}", follower)

    @_unreachable_as_unavailable
    def followers(self, code):
        return self.client.zcount(f"{self.prefix}class-followers:{code}", _now_ms(), "+inf")

    def ping(self):
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False

    # --- The one subscription of this process -------------------------------------

    def _start_subscriber(self):
        with self._starting:
            if self._subscriber is None or not self._subscriber.is_alive():
                self._subscriber = threading.Thread(target=self._subscribe_forever,
                                                    name="class-events", daemon=True)
                self._subscriber.start()

    def _subscribe_forever(self):
        tries = 0
        while True:
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(self.channel)
                self.subscribed.set()
                tries = 0
                self._catch_up()
                while True:
                    message = pubsub.get_message(timeout=1.0)
                    if message is not None:
                        self._hand_on(message["data"])
            except (redis.RedisError, StoreUnavailable, OSError):
                self.subscribed.clear()
                time.sleep(RECONNECT_SECONDS[min(tries, len(RECONNECT_SECONDS) - 1)])
                tries += 1
            finally:
                pubsub.close()

    def _hand_on(self, message):
        code, rest = message.split(b" ", 1)
        self._broker.deliver(code.decode(), [_event(rest)])

    def _catch_up(self):
        """What was published while this process was not subscribed."""
        for code, last in self._broker.listened().items():
            events = self.events_after(code, last)
            if events:
                self._broker.deliver(code, events)

    def _check(self, code, answer):
        if answer == -1:
            raise UnknownClass(code)
        if answer == -2:
            raise ClassEnded(code)

    def _key(self, code):
        return f"{self.prefix}class:{code}"


def _event(message):
    """An event from its stored form, b"ID KIND DATA"."""
    event_id, kind, data = message.split(b" ", 2)
    return Event(int(event_id), kind.decode(), data)
