"""A live class: a teacher's run that students follow, found by a short join code.

A class is the teacher's session (its id stays with the teacher and the
server: followers never see it), a join code students type from a projector,
the digest of the teacher's secret token, and whether the teacher holds the
class on the current step. The stores keep classes and carry their events.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

# Upper-case letters and digits that cannot be read as one another from the back
# of a room: no 0/O, 1/I/L.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6


def new_code():
    """A random join code: 31**6, about 887 million of them."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def read_code(text):
    """The join code a student typed, as kept (upper case, without spaces or dashes),
    or None if it cannot be one."""
    if not isinstance(text, str):
        return None
    code = text.strip().upper().replace(" ", "").replace("-", "")
    if len(code) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in code):
        return None
    return code


def new_token():
    """The teacher's secret: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


def token_digest(token):
    """What the stores keep of a token: its SHA-256, so a leaked store steers no class."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Classroom:
    """One class, as the stores keep it."""

    code: str
    session_id: str  # the teacher's run
    digest: str  # of the teacher's token
    hold: bool = False  # students follow only: no one tries a step of their own
    ended: bool = False
    forks: int = 0  # runs students forked from the class to try alone

    def taught_by(self, token):
        """Whether ``token`` is the teacher's."""
        return isinstance(token, str) and hmac.compare_digest(token_digest(token), self.digest)


@dataclass(frozen=True)
class Event:
    """One thing that happened in a class, numbered in order: ``kind`` is "run" (a new
    run, with its points), "step", "hold" or "end"; ``data`` is its JSON, encoded once."""

    id: int
    kind: str
    data: bytes
