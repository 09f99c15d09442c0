"""Checks on what a client sends, done once, at the edge; messages show the wrong value.

Each checker returns the clean value or raises ``ApiError(400, ...)``.
"""

import json
import math

from flask import request

from app.web.errors import ApiError


def _reject_constant(token):
    raise ValueError(f"{token} is not a number JSON allows")


def json_body():
    """The request body as a JSON object ({} when empty), NaN and Infinity refused."""
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    try:
        body = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(400, f"malformed JSON: {error}") from None
    if not isinstance(body, dict):
        raise ApiError(400, f"the body must be a JSON object, got {_kind(body)}")
    return body


def query_flag(name):
    """A flag in the query string: absent or "0" is off, "1" is on; anything else a 400."""
    text = request.args.get(name)
    if text is None or text == "0":
        return False
    if text == "1":
        return True
    raise ApiError(400, f"{name} must be 0 or 1, got {text[:40]!r}")


def only_fields(body, allowed, where="the body"):
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise ApiError(400, f"unknown field {unknown[0]!r} in {where}; "
                            f"expected some of {sorted(allowed)}")


def integer(value, name, minimum, maximum, nullable=False):
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, f"{name} must be an integer, got {_show(value)}")
    if not minimum <= value <= maximum:
        raise ApiError(400, f"{name}={value} should be between {minimum} and {maximum}")
    return value


def number(value, name, minimum, maximum):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ApiError(400, f"{name} must be a number, got {_show(value)}")
    if not math.isfinite(value):
        raise ApiError(400, f"{name} must be finite, got {value}")
    if not minimum <= value <= maximum:
        raise ApiError(400, f"{name}={value} should be between {minimum} and {maximum}")
    return float(value)


def boolean(value, name):
    if not isinstance(value, bool):
        raise ApiError(400, f"{name} must be true or false, got {_show(value)}")
    return value


def choice(value, name, options):
    if value not in options:
        raise ApiError(400, f"{name}={_show(value)} is not one of {list(options)}")
    return value


MAX_COORDINATE = 1e9  # squares and their sums must stay far from overflow


def points(value, name, max_points, min_points=1):
    """A non-empty list of [x, y] pairs of numbers within ±MAX_COORDINATE."""
    if not isinstance(value, list):
        raise ApiError(400, f"{name} must be a list of [x, y] pairs, got {_show(value)}")
    if not min_points <= len(value) <= max_points:
        raise ApiError(400, f"{name} has {len(value)} points; "
                            f"between {min_points} and {max_points} are allowed")
    for index, point in enumerate(value):
        if not isinstance(point, list) or len(point) != 2:
            raise ApiError(400, f"{name}[{index}] must be an [x, y] pair, got {_show(point)}")
        for coordinate in point:
            if isinstance(coordinate, bool) or not isinstance(coordinate, (int, float)) \
                    or not abs(coordinate) <= MAX_COORDINATE:
                raise ApiError(400, f"{name}[{index}] must hold two numbers between "
                                    f"-{MAX_COORDINATE:g} and {MAX_COORDINATE:g}, "
                                    f"got {_show(point)}")
    return value


def by_schema(value, name, spec):
    """One parameter, checked against its catalog schema."""
    if spec["type"] == "integer":
        return integer(value, name, spec["minimum"], spec["maximum"], spec.get("nullable", False))
    if spec["type"] == "number":
        return number(value, name, spec["minimum"], spec["maximum"])
    return boolean(value, name)


def _kind(value):
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), "a number")


def _show(value):
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."
