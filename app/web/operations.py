"""Each operation of the JSON API declared once.

``@operation(bp, "post", "/api/sessions", ...)`` on a view gives its route, the
names of its query and body models among the app's request models
(``schemas.requests``), whether it reads ``If-Match``, the model of its answer and
the errors it may answer. From the declaration come the route, the request's
parsing and the OpenAPI document (``app.web.openapi``); under ``TESTING`` every JSON
answer is checked against the model its operation declares (``check_answers``).

The declaration parses the request once, before the view: the query, the body and
``If-Match`` are handed to the view validated, as the keyword arguments ``query``,
``body`` and ``precondition`` (a model without fields, such as ``NoQuery``, is
checked and not handed on), so that a view only translates HTTP.

An in-house decorator rather than APIFlask, flask-openapi3 or spectree: the
request models are built per app (their limits come from its settings), which
those libraries expect as module-level classes; and a step's answer is never built
through a model, which would cost every answer a validation the page does not need.
"""

import functools
import hashlib
import re
from dataclasses import dataclass, field

import orjson
from flask import request

from app.stores.base import Precondition
from app.web import query as queries, schemas, validation
from app.web.errors import ApiError

PATH_PARAMETER = re.compile(r"\{(\w+)\}")


@dataclass
class Operation:
    method: str
    path: str  # OpenAPI's, {session_id}
    operation_id: str
    summary: str
    answer: type = None  # the model of the answer's JSON
    status: str = "200"
    query: str = "no_query"  # the name of its query model among the request models; None: not read
    body: str = None  # likewise for its body
    body_required: bool = False
    if_match: bool = False  # takes If-Match: the version a step is taken from
    # Status -> description; a description may name a setting, {MAX_CLASSES}, shown
    # with the app's value in the document.
    errors: dict = field(default_factory=lambda: {"400": "Unknown or invalid query parameter."})
    parameters: list = field(default_factory=list)  # headers and path parameters besides
    extra: dict = field(default_factory=dict)  # anything else said of the operation

    @property
    def rule(self):
        """The Flask rule of its path: <session_id> for {session_id}."""
        return PATH_PARAMETER.sub(r"<\1>", self.path)

    def parse(self):
        """The request's query, body and If-Match as this operation declares them,
        validated: the view's keyword arguments."""
        requests = schemas.current()
        parsed = {}
        if self.query is not None:
            model = getattr(requests, self.query)
            read = queries.read(request.args, model)
            if model.model_fields:
                parsed["query"] = read
        if self.body is not None:
            model = getattr(requests, self.body)
            # An empty body needs no reading, and one without fields holds nothing: a
            # page's step, sent with Content-Length: 0, costs nothing here.
            if model.model_fields or request.content_length != 0:
                read = validation.validated(model, validation.json_body())
                if model.model_fields:
                    parsed["body"] = read
        if self.if_match:
            parsed["precondition"] = precondition()
        return parsed


DECLARED = []  # every operation, in the order declared (the blueprints' modules import)


def operation(bp, method, path, summary, operation_id=None, **declared):
    """Declare the view as ``method path`` on ``bp`` (the path in full, as OpenAPI
    writes it) with what it takes and answers (``Operation``'s fields); the view is
    called with the path's parameters and what ``Operation.parse`` hands it."""
    def declare(view):
        described = Operation(method, path, operation_id or view.__name__, summary, **declared)

        @functools.wraps(view)  # and its marks, e.g. security.rate_limited's
        def parsed(**path_parameters):
            return view(**path_parameters, **described.parse())

        rule = described.rule.removeprefix(bp.url_prefix or "")
        bp.add_url_rule(rule, view.__name__, parsed, methods=[method.upper()])
        DECLARED.append(described)
        return parsed
    return declare


_IF_MATCH = re.compile(schemas.IF_MATCH)


def precondition():
    """The version an ``If-Match`` header names, and the request's fingerprint; None
    without one (an empty one, or ``*``: any version). Read as documented, strictly: one quoted
    version of ASCII digits (not W/"7", not 7 unquoted, not "²", which str.isdigit takes)."""
    header = request.headers.get("If-Match", "")
    if not header.strip():
        return None  # none, or empty: no version named
    tag = _IF_MATCH.fullmatch(header.strip())
    if tag is None:
        raise ApiError(400, f"If-Match should be one ETag of this session, e.g. \"7\", "
                            f"not {header[:40]!r}")
    if tag.group("version") is None:
        return None  # *
    fingerprint = hashlib.sha256(request.path.encode() + b"\0" + request.get_data())
    return Precondition(version=int(tag.group("version")), request=fingerprint.hexdigest()[:16])


def by_rule():
    """{(Flask rule, method): Operation}."""
    return {(described.rule, described.method.upper()): described for described in DECLARED}


def check_answers(app):
    """Under TESTING: every JSON answer of a declared operation is validated against the
    model it declares (its status's), errors against ``schemas.Error``."""
    declared = by_rule()

    @app.after_request
    def check(response):
        if request.url_rule is None or response.mimetype != "application/json":
            return response
        described = declared.get((request.url_rule.rule, request.method))
        if described is None:
            return response
        if response.status_code >= 400:
            model = schemas.Error
        elif str(response.status_code) == described.status:
            model = described.answer
        else:
            raise AssertionError(f"{described.operation_id} answered {response.status_code}, "
                                 f"declared {described.status}")
        if model is not None:
            # From Python objects: pydantic's JSON parser would keep every session id in
            # its string cache.
            model.model_validate(orjson.loads(response.get_data()))
        return response
