"""Where sessions live between requests: one small interface, two stores.

- ``put(session)`` keeps a new session; ``get(id)`` gives it back, or None;
  ``read(id)`` gives it with its version (``Versioned``): 1 when put, one more
  with every step saved.
- ``apply(id, action, limit, precondition)`` takes one step: ``action(session)``
  changes a copy of the session, which then takes its place, atomically, and
  answers it with its new version. Two clicks racing on one session never lose,
  duplicate or interleave a step. With a ``StepLimit``, the step is counted, and
  refused past the limit; ``UnknownSession`` when there is none. Given the
  client's ``precondition`` (the version it stepped from, from ``If-Match``, and
  its request), a step asked again after its answer was lost answers the version
  it made, without a second step; a step from a version that is gone raises
  ``StaleVersion`` with the session as it stands.
- ``delete(id)``, ``ping()``: whether the store answers, and ``durability()``:
  whether its sessions outlive a restart (``Durability``).

A session kept is never changed in place (steps change a copy), so what ``get``
gave stays whole however the session goes on.

The stores raise the exceptions below, in their own words; the web layer
turns them into statuses (``app.web.errors``).
"""

from dataclasses import dataclass
from typing import Protocol

NOT_READ = object()  # ``Versioned.class_code`` when the class was not read with the step


@dataclass(frozen=True)
class StepLimit:
    """At most ``amount`` steps on one session in a window of ``seconds``, from its first."""

    amount: int
    seconds: float


@dataclass(frozen=True)
class Versioned:
    """A session as stored: its version, and the ``request_key`` of the step that made it.

    ``class_code``: after a step saved in Redis, the value of the key the store was
    told to read with it (``RedisStore.class_key``: the class that follows the
    session, if any), read in the same round trip; ``NOT_READ`` otherwise."""

    version: int
    session: object
    request_key: str = None
    class_code: object = NOT_READ


@dataclass(frozen=True)
class Precondition:
    """What a client saw when it asked for a step: the session's version, and a
    fingerprint of its request (the same bytes sent again give the same one)."""

    version: int
    request: str

    @property
    def request_key(self):
        # The version and the fingerprint: a request sent again is known by it.
        """Kept with the version this step makes: a request sent again is known by it."""
        return f"{self.version}:{self.request}"


@dataclass(frozen=True)
class Durability:
    """Whether sessions outlive a restart of the store (None: it cannot tell), and why."""

    durable: object
    detail: str


def replayed_or_stale(precondition, current):
    """``current`` if it is what the step asked with ``precondition`` made (the request sent again);
    ``StaleVersion`` if the session moved on without it."""
    if current.request_key == precondition.request_key:
        return current
    raise StaleVersion(precondition.version, current)


class SessionStore(Protocol):
    """Where sessions live between requests (``MemoryStore``, ``RedisStore``)."""

    def put(self, session) -> None: ...

    def get(self, session_id): ...

    def read(self, session_id) -> "Versioned | None": ...

    def apply(self, session_id, action, limit: StepLimit | None = None,
              precondition: Precondition | None = None) -> Versioned: ...

    def delete(self, session_id) -> bool: ...

    def ping(self) -> bool: ...

    def durability(self) -> Durability: ...


class ClassStore(Protocol):
    """Where live classes live, and how their events reach every follower
    (``MemoryClassrooms``, ``RedisClassrooms``; see ``app.stores.live``)."""

    def open(self, classroom): ...

    def get(self, code): ...

    def of_session(self, session_id, class_code=NOT_READ): ...

    def change(self, code, **fields): ...

    def touch(self, code): ...

    def end(self, code, data): ...

    def publish(self, code, kind, data): ...

    def last_event_id(self, code) -> int: ...

    def events_after(self, code, event_id): ...

    def listen(self, code): ...

    def follow(self, code, follower, seconds, limit): ...

    def unfollow(self, code, follower): ...

    def followers(self, code): ...

    def ping(self) -> bool: ...


class StoreError(Exception):
    """Something a session store refuses or cannot do."""


class UnknownSession(StoreError):
    """No session by that id: it never was, was deleted or expired."""

    def __init__(self, session_id):
        super().__init__(f"no session {session_id[:40]!r}")
        self.session_id = session_id


class TooManySteps(StoreError):
    """A step past its session's limit; ``seconds_left`` until the window ends."""

    def __init__(self, seconds_left):
        super().__init__(f"too many steps; the window ends in {seconds_left:.3g} s")
        self.seconds_left = seconds_left


class SessionBusy(StoreError):
    """Other steps on the session kept winning the race for longer than a step may wait."""

    def __init__(self, waited_seconds):
        super().__init__(f"other steps kept winning for {waited_seconds:g} s")
        self.waited_seconds = waited_seconds


class StoreUnavailable(StoreError):
    """The store cannot be reached (Redis down, or not answering in time)."""


class StaleVersion(StoreError):
    """A step asked from a version the session has left; ``current`` is where it stands."""

    def __init__(self, seen_version, current):
        super().__init__(f"the step was asked from version {seen_version}, the session is at "
                         f"version {current.version}")
        self.seen_version = seen_version
        self.current = current
