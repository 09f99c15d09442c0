"""Each operation of the JSON API declared once.

``@operation(bp, "post", "/api/sessions", ...)`` on a view gives its route, the
names of its query and body models among the app's request models
(``schemas.requests``), the model of its answer and the errors it may answer.
The OpenAPI document is generated from these declarations alone
(``app.web.openapi``), and under ``TESTING`` every JSON answer is checked against
the model its operation declares (``check_answers``).

An in-house decorator rather than APIFlask, flask-openapi3 or spectree: the
request models are built per app (their limits come from its settings), which
those libraries expect as module-level classes; the views keep their own
parsing (one ``query.read`` or ``validation.validated`` call, by the name
declared here), and a step's answer is never built through a model, which
would cost every answer a validation the page does not need.
"""

import re
from dataclasses import dataclass, field

import orjson
from flask import request

PATH_PARAMETER = re.compile(r"\{(\w+)\}")


@dataclass
class Operation:
    method: str
    path: str  # OpenAPI's, {session_id}
    operation_id: str
    summary: str
    answer: type = None  # the model of the answer's JSON
    status: str = "200"
    query: str = "no_query"  # the name of its query model among the request models
    body: str = None  # likewise for its body
    body_required: bool = False
    errors: dict = field(default_factory=lambda: {"400": "Unknown or invalid query parameter."})
    parameters: list = field(default_factory=list)  # headers and path parameters besides
    extra: dict = field(default_factory=dict)  # anything else said of the operation

    @property
    def rule(self):
        """The Flask rule of its path: <session_id> for {session_id}."""
        return PATH_PARAMETER.sub(r"<\1>", self.path)


DECLARED = []  # every operation, in the order declared (the blueprints' modules import)


def operation(bp, method, path, summary, operation_id=None, **declared):
    """Declare the view as ``method path`` on ``bp`` (the path in full, as OpenAPI
    writes it) with what it takes and answers (``Operation``'s fields)."""
    def declare(view):
        described = Operation(method, path, operation_id or view.__name__, summary, **declared)
        rule = described.rule.removeprefix(bp.url_prefix or "")
        bp.add_url_rule(rule, view.__name__, view, methods=[method.upper()])
        DECLARED.append(described)
        return view
    return declare


def by_rule():
    """{(Flask rule, method): Operation}."""
    return {(described.rule, described.method.upper()): described for described in DECLARED}


def check_answers(app):
    """Under TESTING: every JSON answer of a declared operation is validated against the
    model it declares (its status's), errors against ``schemas.Error``."""
    from app.web import schemas

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
