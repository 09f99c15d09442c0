"""A live class's join codes, and classes kept in memory until their teacher leaves them
idle (the live classroom's API: tests/api/test_live.py)."""

import pytest

from app.core.classroom import CODE_ALPHABET, CODE_LENGTH, Classroom, new_code, read_code
from app.stores.live import MemoryClassrooms, TooManyClasses, UnknownClass


def test_a_join_code_is_six_characters_without_look_alikes():
    assert not set("01OIL") & set(CODE_ALPHABET)
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET) for code in codes)


@pytest.mark.parametrize("typed, code", [("k7qx2m", "K7QX2M"), (" K7Q-X2M ", "K7QX2M"),
                                         ("k7q x2m", "K7QX2M"), ("K7QX2", None),
                                         ("K7QX2O", None), ("K7QX2M7", None), (None, None)])
def test_a_typed_code_is_read_in_upper_case_without_spaces_or_dashes(typed, code):
    assert read_code(typed) == code


def test_a_class_its_teacher_leaves_idle_is_forgotten_with_its_code():
    now = [0.0]
    store = MemoryClassrooms(max_classes=1, idle_seconds=60, clock=lambda: now[0])
    store.open(Classroom(code="ABCDEF", session_id="s", digest="d"))
    with pytest.raises(TooManyClasses):
        store.open(Classroom(code="GHJKMN", session_id="t", digest="d"))
    now[0] = 59
    store.publish("ABCDEF", "step", b"{}")  # the teacher stepped: idle from here
    now[0] = 118
    assert store.get("ABCDEF") is not None
    now[0] = 120
    assert store.get("ABCDEF") is None
    with pytest.raises(UnknownClass):
        store.publish("ABCDEF", "step", b"{}")
    store.open(Classroom(code="GHJKMN", session_id="t", digest="d"))
