"""The OpenAPI 3.1 document of the JSON API, served at /api/openapi.json.

Generated from the operations the views declare (``app.web.operations``): the
bodies, query parameters and answers are the models of ``app.web.schemas`` (the
very ones that validate the requests, with this app's limits).
"""

from pydantic.json_schema import models_json_schema

from app.web import schemas
from app.web.operations import DECLARED

SESSION = "/api/sessions/{session_id}"
STEPS = {
    "init": "Choose the starting centroids (for init='manual', send them).",
    "pick": "k-means++ one centre at a time (init='kmeans++' only): the next centre, with "
            "the candidates scikit-learn draws, the potential each would leave, the one kept, "
            "and every point's chance of being drawn next (\"picks\"). The k-th pick is the "
            "Init; Init at any point takes the centres left at once.",
    "assign": "E step: every point joins its nearest centroid.",
    "update": "M step: every centroid moves to the mean of its points.",
    "step": "Whichever of init, assign and update comes next.",
    "run": "Step until converged (at most max_iter updates), recording every step.",
    "back": "Undo the last step.",
    "reset": "Forget the centroids and every step; keep the data.",
}
BAD_BODY = {"400": "Invalid body or query parameter; the message says which and why.",
            "413": "Body too large: at most {MAX_CONTENT_LENGTH} bytes.",
            "415": "A body not sent as application/json."}
NO_SESSION = {"404": "No such session."}
IF_MATCH = {"name": "If-Match", "in": "header", "required": False,
            "schema": {"type": "string", "pattern": f"^(?:{schemas.IF_MATCH})$".replace(
                "?P<version>", "")},
            "description": 'The ETag of the state the step is taken from, e.g. "7": sent '
                           "again after a lost answer, the step is not taken twice."}
CLASS_CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"},
              "description": "The join code, e.g. K7QX2M."}
STEP_ERRORS = {**BAD_BODY, **NO_SESSION,
               "409": "Step out of order; the message says what to do next.",
               "412": "If-Match names a version the session has left; the answer holds "
                      "its state as it stands.",
               "429": "Too many steps on this session; Retry-After says when to go on."}


def operations():
    """Every operation of the API, as the views declared them (``app.web.operations``)."""
    return list(DECLARED)


def links(listed):
    """Every operation a new session's id leads to, but its deletion, for clients (and
    fuzzers) that follow links: named as the step for a step, else by its operationId."""
    return {operation.operation_id.removesuffix("_step"): {
                "operationId": operation.operation_id,
                "parameters": {"session_id": "$response.body#/id"}}
            for operation in listed
            if "{session_id}" in operation.path and operation.method != "delete"}


def openapi_document(config, requests):
    """The whole document, from the request models built for this app's ``config``."""
    listed = operations()
    linked = links(listed)
    bodies = {operation.body for operation in listed if operation.body}
    answers = {operation.answer for operation in listed if operation.answer}
    refs, definitions = models_json_schema(
        [(getattr(requests, name), "validation") for name in sorted(bodies)]
        + [(model, "serialization") for model in [schemas.Error, *answers]],
        ref_template="#/components/schemas/{model}")
    ref = {model: schema for (model, _), schema in refs.items()}
    paths = {}
    for operation in listed:
        paths.setdefault(operation.path, {})[operation.method] = _operation(
            operation, requests, ref, config, linked)
    return {
        "openapi": "3.1.0",
        "info": {"title": "K-Means Stepper API", "version": "1.0.0",
                 "description": "Lloyd's algorithm for k-means, one step at a time, "
                                "agreeing with scikit-learn's KMeans step by step. Limits: "
                                f"k up to {config['MAX_K']}, {config['MAX_POINTS']} points, "
                                f"bodies of {config['MAX_CONTENT_LENGTH']} bytes."},
        "paths": paths,
        "components": {"schemas": definitions["$defs"]},
    }


def _operation(operation, requests, ref, config, linked):
    described = {"operationId": operation.operation_id, "summary": operation.summary}
    parameters = [{"name": "session_id", "in": "path", "required": True,
                   "schema": {"type": "string"}}] if "{session_id}" in operation.path else []
    if "{code}" in operation.path:
        parameters.append(CLASS_CODE)
    described["parameters"] = parameters + list(operation.parameters)
    if operation.query is not None:
        described["parameters"] += _query_parameters(getattr(requests, operation.query))
    if operation.if_match:
        described["parameters"].append(IF_MATCH)
    if operation.body:
        model = getattr(requests, operation.body)
        described["requestBody"] = {
            "required": operation.body_required,
            "content": {"application/json": {"schema": ref[model]}}}
    described["responses"] = {operation.status: _answer(operation, ref),
                              **{status: _error(text.format_map(config))
                                 for status, text in operation.errors.items()}}
    if "links" in operation.extra:
        described["responses"][operation.status]["links"] = linked
    return described


def _answer(operation, ref):
    if operation.status == "204":
        return {"description": "Done."}
    if operation.extra.get("csv"):
        content = {"text/csv": {"schema": {"type": "string"}}}
    elif operation.extra.get("stream"):
        content = {"text/event-stream": {"schema": {"type": "string"}}}
    elif operation.answer is None:
        content = {"application/json": {"schema": {"type": "object"}}}
    else:
        content = {"application/json": {"schema": ref[operation.answer]}}
    return {"description": operation.summary, "content": content}


def _error(description):
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _query_parameters(model):
    """A query model's fields as OpenAPI parameters."""
    schema = model.model_json_schema()
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        prop = {key: value for key, value in prop.items() if key != "title"}
        parameters.append({"name": name, "in": "query",
                           "required": name in schema.get("required", ()),
                           "description": prop.pop("description", ""), "schema": prop})
    return parameters
