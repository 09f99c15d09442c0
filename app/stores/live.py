"""Where live classes are kept, and how their events reach every follower.

One small interface, two stores (this process's memory, or Redis for every
worker and server of a class, ``redis_live.RedisClassrooms``):

- ``open(classroom)`` keeps a new class; ``get(code)`` gives it back, ended
  ones too for a while (so a late student is told it ended), or None;
  ``of_session(id, class_code)`` the live class taught from a session, or None;
  ``change(code, **fields)``, ``touch(code)`` (the teacher is still there),
  ``end(code)``.
- ``publish(code, kind, data)`` numbers an event, keeps it in the class's
  backlog and sends it to every listener, on any worker.
- ``events_after(code, event_id)``: the backlog after that event (a dropped
  stream resumes from it), or None once the backlog has moved past it.
- ``listen(code)``: a ``Listener`` whose ``wait(seconds)`` gives the events
  published since it was made (this process gets them from the store).
- ``follow(code, follower, limit)`` counts an open stream for ``seconds``,
  again at each heartbeat; ``unfollow``; ``followers(code)``.
- ``count_fork(code)``: a student forked the run; ``get(code).forks`` counts them.

A class unused by its teacher for ``idle_seconds`` is forgotten, and its code
with it; an ended class is remembered as ended for ``ended_seconds``.
"""

import threading
import time
from collections import deque
from dataclasses import replace

from app.core.classroom import Event
from app.stores.base import NOT_READ, StoreError


class UnknownClass(StoreError):
    """No class by that code: it never was, or was forgotten."""

    def __init__(self, code):
        super().__init__(f"no class {code[:12]!r}")
        self.code = code


class ClassEnded(StoreError):
    """The class has ended: it is followed no more."""

    def __init__(self, code):
        super().__init__(f"class {code!r} has ended")
        self.code = code


class CodeTaken(StoreError):
    """Another live class has this code (a new code is drawn)."""


class SessionTaught(StoreError):
    """The session is already taught live, as ``code``."""

    def __init__(self, code):
        super().__init__(f"this run is already taught live as class {code}")
        self.code = code


class TooManyClasses(StoreError):
    """As many classes are live as the server allows."""

    def __init__(self, limit):
        super().__init__(f"{limit} classes are live, the most this server takes")
        self.limit = limit


class TooManyFollowers(StoreError):
    """As many students follow the class as the server allows."""

    def __init__(self, limit):
        super().__init__(f"{limit} students follow this class, the most it takes")
        self.limit = limit


class Listener:
    """Events of one class as they arrive in this process, for one open stream."""

    def __init__(self, broker, code):
        self.code = code
        self._broker = broker
        self._events = deque()
        self._arrived = threading.Condition(threading.Lock())

    def wait(self, seconds):
        """The events arrived since the last call, waiting up to ``seconds`` for one."""
        with self._arrived:
            self._arrived.wait_for(lambda: self._events, seconds)
            events = list(self._events)
            self._events.clear()
            return events

    def put(self, events):
        with self._arrived:
            self._events.extend(events)
            self._arrived.notify()

    def close(self):
        self._broker.remove(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class Broker:
    """This process's listeners, by class: what a store hands each event to."""

    def __init__(self):
        self._lock = threading.Lock()
        self._listeners = {}  # code -> set of Listener
        self._delivered = {}  # code -> id of the last event handed on

    def listener(self, code):
        listener = Listener(self, code)
        with self._lock:
            self._listeners.setdefault(code, set()).add(listener)
        return listener

    def remove(self, listener):
        with self._lock:
            listeners = self._listeners.get(listener.code)
            if listeners is not None:
                listeners.discard(listener)
                if not listeners:
                    del self._listeners[listener.code]
                    self._delivered.pop(listener.code, None)

    def deliver(self, code, events):
        """Hand ``events`` to every listener of the class; each only once."""
        with self._lock:
            last = self._delivered.get(code, 0)
            events = [event for event in events if event.id > last]
            listeners = list(self._listeners.get(code, ()))
            if not events or not listeners:
                return
            self._delivered[code] = events[-1].id
        for listener in listeners:
            listener.put(events)

    def listened(self):
        """{code: id of the last event handed on} for every class listened to here."""
        with self._lock:
            return {code: self._delivered.get(code, 0) for code in self._listeners}


class _Kept:
    """A class in memory, with its backlog and open streams."""

    def __init__(self, classroom, used, backlog):
        self.classroom = classroom
        self.used = used
        self.last_id = 0
        self.events = deque(maxlen=backlog)
        self.followers = {}  # follower -> until when it counts


class MemoryClassrooms:
    """Classes in this process's memory: the store for one process."""

    def __init__(self, max_classes=100, idle_seconds=2 * 3600, ended_seconds=3600, backlog=100,
                 clock=time.monotonic):
        self.max_classes = max_classes
        self.idle_seconds = idle_seconds
        self.ended_seconds = ended_seconds
        self.backlog = backlog
        self._clock = clock
        self._guard = threading.Lock()
        self._classes = {}  # code -> _Kept
        self._broker = Broker()

    def open(self, classroom):
        with self._guard:
            self._expire()
            if classroom.code in self._classes:
                raise CodeTaken(classroom.code)
            taught = self._of_session(classroom.session_id)
            if taught is not None:
                raise SessionTaught(taught.code)
            if self._live_count() >= self.max_classes:
                raise TooManyClasses(self.max_classes)
            self._classes[classroom.code] = _Kept(classroom, self._clock(), self.backlog)

    def get(self, code):
        with self._guard:
            self._expire()
            kept = self._classes.get(code)
            return None if kept is None else kept.classroom

    def of_session(self, session_id, class_code=NOT_READ):
        """The open class following the session, or None (``class_code``: for the
        interface's sake; in memory the answer is at hand)."""
        with self._guard:
            self._expire()
            return self._of_session(session_id)

    def change(self, code, **fields):
        with self._guard:
            kept = self._live(code)
            kept.classroom = replace(kept.classroom, **fields)
            kept.used = self._clock()
            return kept.classroom

    def touch(self, code):
        with self._guard:
            self._live(code).used = self._clock()

    def end(self, code, data):
        """End the class; its last event, "end", carries ``data``."""
        event = self.publish(code, "end", data)
        with self._guard:
            kept = self._classes[code]
            kept.classroom = replace(kept.classroom, ended=True)
            kept.used = self._clock()
            kept.followers.clear()
        return event

    def publish(self, code, kind, data):
        with self._guard:
            kept = self._live(code)
            kept.last_id += 1
            event = Event(kept.last_id, kind, data)
            kept.events.append(event)
            kept.used = self._clock()
        self._broker.deliver(code, [event])
        return event

    def last_event_id(self, code):
        with self._guard:
            kept = self._classes.get(code)
            return 0 if kept is None else kept.last_id

    def events_after(self, code, event_id):
        with self._guard:
            kept = self._classes.get(code)
            if kept is None:
                return []
            events = kept.events
            if event_id < kept.last_id and (not events or events[0].id > event_id + 1):
                return None
            return [event for event in events if event.id > event_id]

    def listen(self, code):
        return self._broker.listener(code)

    def follow(self, code, follower, seconds, limit):
        with self._guard:
            kept = self._live(code)
            now = self._clock()
            kept.followers = {key: until for key, until in kept.followers.items() if until > now}
            if follower not in kept.followers and len(kept.followers) >= limit:
                raise TooManyFollowers(limit)
            kept.followers[follower] = now + seconds

    def count_fork(self, code):
        with self._guard:
            kept = self._live(code)
            kept.classroom = replace(kept.classroom, forks=kept.classroom.forks + 1)

    def unfollow(self, code, follower):
        with self._guard:
            kept = self._classes.get(code)
            if kept is not None:
                kept.followers.pop(follower, None)

    def followers(self, code):
        with self._guard:
            kept = self._classes.get(code)
            if kept is None:
                return 0
            now = self._clock()
            return sum(until > now for until in kept.followers.values())

    def ping(self):
        return True

    def _live(self, code):
        self._expire()
        kept = self._classes.get(code)
        if kept is None:
            raise UnknownClass(code)
        if kept.classroom.ended:
            raise ClassEnded(code)
        return kept

    def _of_session(self, session_id):
        for kept in self._classes.values():
            if kept.classroom.session_id == session_id and not kept.classroom.ended:
                return kept.classroom
        return None

    def _live_count(self):
        return sum(not kept.classroom.ended for kept in self._classes.values())

    def _expire(self):
        now = self._clock()
        for code, kept in list(self._classes.items()):
            kept_for = self.ended_seconds if kept.classroom.ended else self.idle_seconds
            if kept.used + kept_for < now:
                del self._classes[code]
