"""The one reader of query strings, for the API, the analyses and the embed.

One rule for all of them: a parameter is given at most once, an unknown one
is refused, and an integer is written in ASCII digits (an optional sign, at
most 18 digits), so "５" or "1e3" is not one.
"""

import re
import weakref

from flask import current_app, has_app_context
from pydantic import ValidationError

from app.web import validation
from app.web.errors import ApiError

INTEGER = re.compile(r"[+-]?[0-9]{1,18}")
NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def single(args, name, default=None):
    """The one value of ``name`` (``default`` when absent); given twice, a 400."""
    values = args.getlist(name)
    if len(values) > 1:
        raise ApiError(400, f"{name} is given {len(values)} times in the query; give it once")
    return values[0] if values else default


def refuse_unknown(args, allowed, say_instead=None):
    """A 400 naming the first parameter not in ``allowed``; ``say_instead(unknown)``
    may word it for its endpoint."""
    unknown = sorted(set(args) - set(allowed))
    if not unknown:
        return
    if say_instead is not None:
        raise ApiError(400, say_instead(unknown[0]))
    kind = "unknown" if allowed else "no_parameters"
    raise ApiError(400, validation.MESSAGES[kind].format(
        field=unknown[0], where="the query", allowed=sorted(allowed)))


def integer(text, name):
    """Query text as an integer, by the one rule; a 400 saying so otherwise."""
    if not INTEGER.fullmatch(text):
        raise ApiError(400, f"{name} must be an integer, got {text[:40]!r}")
    return int(text)


def scalar(text):
    """Query text as the JSON number it stands for, by the same rule; what is not
    one stays text, so that the check's message shows it."""
    if INTEGER.fullmatch(text):
        return int(text)
    if NUMBER.fullmatch(text):
        return float(text)
    return text


def read(args, model):
    """The query string as ``model`` (a pydantic model of query parameters):
    unknown and repeated parameters refused, integers read by the rule above,
    then checked by the model's own declarations. A query read before is answered
    with what it gave then (the models are frozen): a page sends the same few
    queries with every click."""
    cache = _cache()
    items = tuple(args.items(multi=True))
    answers = cache.answers.setdefault(model, {})
    if items not in answers:
        if len(answers) >= CACHED_PER_MODEL:
            answers.clear()
        answers[items] = _read(args, model, cache)
    return answers[items]


CACHED_PER_MODEL = 64  # queries cached per model: the page's few, not every one ever sent


class Cache:
    """Queries read before and each model's field types: one per app
    (``app.extensions["query_cache"]``), so that two apps never share it."""

    def __init__(self):
        self.answers = weakref.WeakKeyDictionary()  # model -> {a query's items: what read gave}
        self.kinds = weakref.WeakKeyDictionary()  # model -> {field: JSON type}


def _cache():
    """The app's cache; outside an app, a new one each time (nothing cached)."""
    return current_app.extensions["query_cache"] if has_app_context() else Cache()


def _read(args, model, cache):
    fields = model.model_fields
    refuse_unknown(args, fields)
    kinds = _kinds(model, cache)
    values = {}
    for name in fields:
        text = single(args, name)
        if text is not None:
            values[name] = integer(text, name) if kinds[name] == "integer" else text
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise ApiError(400, validation.explain(error)) from None


def _kinds(model, cache):
    """Each field's JSON type in ``model``'s schema ("integer", "string", ...)."""
    if model not in cache.kinds:
        properties = model.model_json_schema()["properties"]
        cache.kinds[model] = {name: _type(schema) for name, schema in properties.items()}
    return cache.kinds[model]


def _type(schema):
    for option in (schema, *schema.get("anyOf", ())):
        if option.get("type") not in (None, "null"):
            return option["type"]
    return "string"
