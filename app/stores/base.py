"""Where sessions live between requests: one small interface, two stores.

- ``put(session)`` keeps a new session; ``get(id)`` gives it back, or None.
- ``change(id, action, limit)`` takes one step: ``action(session)`` changes a
  copy of the session, which then takes its place, atomically. Two clicks
  racing on one session never lose, duplicate or interleave a step. With a
  ``StepLimit``, the step is counted, and refused past the limit. Answers the
  changed session; ``UnknownSession`` when there is none.
- ``delete(id)``, and ``ping()``: whether the store answers.

A session kept is never changed in place (steps change a copy), so what ``get``
gave stays whole however the session goes on.

The stores raise the exceptions below, in their own words; the web layer
turns them into statuses (``app.web.errors``).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class StepLimit:
    """At most ``amount`` steps on one session in a window of ``seconds``, from its first."""

    amount: int
    seconds: float


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
