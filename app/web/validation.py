"""The checks behind the API's declared types, the JSON body's parser, and every
validation message a client can get, written here once.

A check returns the clean value or raises ``refuse(kind, ...)``: a pydantic
error that the declarations in ``app.web.schemas`` collect with the place
of the wrong value. ``explain`` turns such an error into one sentence that
names that place and shows the wrong value.
"""

import json
import math

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge
from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from app.web.errors import ApiError

MAX_COORDINATE = 1e9  # squares and their sums must stay far from overflow
MAX_DIGITS = 20  # an integer in a body; none the API takes has more
MAX_DEPTH = 32  # nesting of a body; the deepest the API takes is 4
MAX_LABEL = 999  # a custom data set's class labels are 0 to this

MESSAGES = {
    "integer": "{name} must be an integer, got {got}",
    "number": "{name} must be a number, got {got}",
    "finite": "{name} must be finite, got {got}",
    "range": "{name}={got} should be between {minimum} and {maximum}",
    "boolean": "{name} must be true or false, got {got}",
    "flag": "{name} must be 0 or 1, got {got}",
    "switch": "{name} must be 1 or 0, got {got}",
    "choice": "{name}={got} is not one of {options}",
    "points": "{name} must be a list of [x, y] pairs, got {got}",
    "count": "{name} has {count} points; between {minimum} and {maximum} are allowed",
    "pair": "{name}[{index}] must be an [x, y] pair, got {got}",
    "coordinates": "{name}[{index}] must hold two numbers between -{limit:g} and {limit:g}, "
                   "got {got}",
    "width": "{name}[0] must be a point of 2 to {maximum} numbers (more than 2 are drawn "
             "through PCA), got {got}",
    "row": "{name}[{index}] must hold {width} numbers between -{limit:g} and {limit:g}, as "
           "many as {name}[0], got {got}",
    "labels": "{name} must be a list of {count} integers, one per point",
    "dataset": "{name} must be a name or an object with a name and parameters",
    "unknown": "unknown field {field!r} in {where}; expected some of {allowed}",
    "no_fields": "unknown field {field!r} in {where}: this step takes no body fields",
    "no_parameters": "unknown field {field!r} in {where}: this endpoint takes no query "
                     "parameters",
    "session_id": "{name} must be the id of a run (a string), got {got}",
    "said": "{message}",
}
# Said instead of "{name} is required" where a student needs to know more.
REQUIRED = {
    "dataset": 'dataset is required, e.g. {"name": "blobs"}',
    "k": "k is required: the number of clusters",
    "dataset.points": 'the custom data set needs "points": [[x, y], ...]',
    "session": 'session is required: the id of the run to teach, {"session": "..."}',
}


def refuse(kind, **context):
    """The error a check raises: ``kind`` names its message in MESSAGES."""
    return PydanticCustomError(kind, MESSAGES[kind], context)


def explain(error, prefix=""):
    """The first error of a pydantic ValidationError in a student's words."""
    first = error.errors(include_url=False)[0]
    context = first.get("ctx", {})
    name = _name((*([prefix] if prefix else []), *first["loc"], *context.get("at", ())))
    if first["type"] == "missing":
        return REQUIRED.get(name, f"{name} is required")
    if first["type"] in MESSAGES:
        return MESSAGES[first["type"]].format(name=name, **context)
    return f"{name}: {first['msg']}"  # none of the API's declarations give one


def validated(model, value, prefix=""):
    """``value`` as the declared ``model``, or ApiError(400) saying why."""
    try:
        return model.model_validate(value)
    except ValidationError as error:
        raise ApiError(400, explain(error, prefix)) from None


def validated_or_refused(model, value, prefix):
    """``value`` as ``model``, inside another declaration's check: its refusal is
    said in full, under ``prefix`` (the field holding it)."""
    try:
        return model.model_validate(value)
    except ValidationError as error:
        raise refuse("said", message=explain(error, prefix)) from None


def checked(check, value, name):
    """One value through one check, outside a declaration (the embed's settings)."""
    try:
        return check(value)
    except PydanticCustomError as error:
        raise ApiError(400, MESSAGES[error.type].format(name=name, **error.context)) from None


def one_centroid_per_cluster(centroids, k):
    """Manual starting centroids must be k, whatever the limit on the list."""
    if len(centroids) != k:
        raise ApiError(400, f"send exactly {k} centroids, one per cluster; got {len(centroids)}")
    return centroids


def _name(loc):
    """("dataset", "points") as dataset.points, the way a client writes it."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}"
                   for part in loc).lstrip(".")


# --- The body ------------------------------------------------------------------------

def json_body():
    """The request body as a JSON object ({} when empty), strictly read: sent as
    application/json, no NaN or Infinity, no key twice, no 30-digit integer, not
    nested more than MAX_DEPTH deep."""
    raw = request.get_data(cache=True)
    limit = request.max_content_length
    if request.content_length is None and limit is not None and len(raw) >= limit:
        # Streamed (chunked) and cut at the limit, where more was still coming.
        raise RequestEntityTooLarge()
    if not raw:
        return {}
    if request.mimetype != "application/json":
        sent = request.mimetype or "no content type"
        raise ApiError(415, f"the body must be JSON sent with Content-Type: application/json, "
                            f"not {sent}")
    try:
        body = json.loads(raw, parse_constant=_reject_constant, parse_int=_integer_text,
                          object_pairs_hook=_object)
    except RecursionError:
        body = None
    except _Refused as error:
        raise ApiError(400, str(error)) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(400, f"malformed JSON: {error}") from None
    if body is None or _depth(body) > MAX_DEPTH:
        raise ApiError(400, f"the JSON is nested too deeply: at most {MAX_DEPTH} levels "
                            "of lists and objects are taken")
    if not isinstance(body, dict):
        raise ApiError(400, f"the body must be a JSON object, got {_kind(body)}")
    return body


class _Refused(ValueError):
    """A body refused for a reason of its own, not as malformed JSON."""


def _reject_constant(token):
    raise ValueError(f"{token} is not a number JSON allows")


def _integer_text(text):
    # Python refuses to read 4,300 digits with a message about sys.set_int_max_str_digits.
    digits = len(text.lstrip("-"))
    if digits > MAX_DIGITS:
        raise _Refused(f"a number of {digits} digits is too long: the API takes integers "
                         f"of at most {MAX_DIGITS} digits")
    return int(text)


def _object(pairs):
    body = dict(pairs)
    if len(body) < len(pairs):
        seen = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise _Refused(f"the key {twice[:40]!r} appears twice in one object")
    return body


def _depth(value):
    """How deeply lists and objects nest in ``value``, counted without recursion."""
    deepest, level = 0, [(value, 1)]
    while level:
        item, depth = level.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        deepest = max(deepest, depth)
        if depth <= MAX_DEPTH:
            level.extend((child, depth + 1) for child in item
                         if isinstance(child, (list, dict)))
    return deepest


# --- Checks: each returns the clean value or raises refuse(...) -------------------------

def integer(minimum, maximum, nullable=False):
    def check(value):
        if value is None and nullable:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # 27.0 is 27, in JSON and in JSON Schema
        if isinstance(value, bool) or not isinstance(value, int):
            raise refuse("integer", got=show(value))
        if not minimum <= value <= maximum:
            raise refuse("range", got=show(value), minimum=minimum, maximum=maximum)
        return value
    return check


def number(minimum, maximum):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise refuse("number", got=show(value))
        if not math.isfinite(value):
            raise refuse("finite", got=value)
        if not minimum <= value <= maximum:
            raise refuse("range", got=show(value), minimum=minimum, maximum=maximum)
        return float(value)
    return check


def boolean(value):
    if not isinstance(value, bool):
        raise refuse("boolean", got=show(value))
    return value


def session_id(value):
    """A session's id: a string (whether a session has it is the store's to say)."""
    if not isinstance(value, str):
        raise refuse("session_id", got=show(value))
    return value


def flag(text):
    """A flag in a query string: "0" or "1"."""
    if text not in ("0", "1"):
        raise refuse("flag", got=repr(text[:40]))
    return text == "1"


def switch(text):
    """An on or off in a query string: 1, 0, true or false, in any case."""
    value = {"true": True, "1": True, "false": False, "0": False}.get(str(text).lower())
    if value is None:
        raise refuse("switch", got=repr(text))
    return value


def choices(options):
    """Comma-separated names among ``options``, as a tuple in ``options``' order."""
    one = choice(options)

    def check(text):
        wanted = [one(name.strip()) for name in str(text).split(",") if name.strip()]
        return tuple(name for name in options if name in wanted)
    return check


def choice(options):
    def check(value):
        if value not in options:
            raise refuse("choice", got=show(value), options=list(options))
        return value
    return check


def points(max_points, min_points=1, max_width=2):
    """A list of [x, y] pairs of numbers within ±MAX_COORDINATE; with ``max_width`` > 2,
    of points of 2 to ``max_width`` numbers each, all as wide as the first."""
    def check(value):
        if not isinstance(value, list):
            raise refuse("points", got=show(value))
        if not min_points <= len(value) <= max_points:
            raise refuse("count", count=len(value), minimum=min_points, maximum=max_points)
        width = 2
        if max_width > 2 and value and isinstance(value[0], list):
            width = len(value[0])
            if not 2 <= width <= max_width:
                raise refuse("width", maximum=max_width, got=show(value[0]))
        for index, point in enumerate(value):
            if not isinstance(point, list) or len(point) != width:
                raise refuse("pair" if width == 2 else "row", index=index, width=width,
                             limit=MAX_COORDINATE, got=show(point))
            # type(), not isinstance(): true and false are no coordinates.
            if not all(type(coordinate) in (int, float) for coordinate in point) \
                    or not -MAX_COORDINATE <= min(point) <= max(point) <= MAX_COORDINATE:
                raise refuse("coordinates" if width == 2 else "row", index=index, width=width,
                             limit=MAX_COORDINATE, got=show(point))
        return value
    return check


def _kind(value):
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), "a number")


def show(value):
    """A value as JSON, cut short: a message never echoes a long one in full."""
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."
