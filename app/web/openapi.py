"""The OpenAPI 3.1 document of the JSON API, served at /api/openapi.json.

Generated: the bodies, query parameters and answers are the models of
``app.web.schemas`` (the very ones that validate the requests, with this
app's limits); this module only says which operation takes and gives which.
"""

from dataclasses import dataclass, field

from pydantic.json_schema import models_json_schema

from app.core.analysis import ELBOW_STARTS
from app.web import schemas

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
            "413": "Body too large.",
            "415": "A body not sent as application/json."}
NO_SESSION = {"404": "No such session."}
IF_MATCH = {"name": "If-Match", "in": "header", "required": False,
            "schema": {"type": "string", "pattern": f"^(?:{schemas.IF_MATCH})$".replace(
                "?P<version>", "")},
            "description": 'The ETag of the state the step is taken from, e.g. "7": sent '
                           "again after a lost answer, the step is not taken twice."}
# Every operation a new session's id leads to, for clients (and fuzzers) that follow links.
LINKS = {name: {"operationId": operation, "parameters": {"session_id": "$response.body#/id"}}
         for name, operation in [*((step, f"{step}_step") for step in STEPS),
                                 ("show", "show_session"), ("centroids", "show_centroids"),
                                 ("elbow", "elbow"), ("restarts", "restarts"),
                                 ("export_json", "export_json"), ("export_csv", "export_csv")]}


@dataclass
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    answer: type = None  # the model of the answer's JSON
    status: str = "200"
    query: str = "no_query"  # the name of its query model among the request models
    body: str = None  # likewise for its body
    errors: dict = field(default_factory=lambda: {"400": "Unknown or invalid query parameter."})
    extra: dict = field(default_factory=dict)  # anything else said of the operation


def operations():
    """Every operation of the API."""
    step_errors = {**BAD_BODY, **NO_SESSION,
                   "409": "Step out of order; the message says what to do next.",
                   "412": "If-Match names a version the session has left; the answer holds "
                          "its state as it stands.",
                   "429": "Too many steps on this session; Retry-After says when to go on."}
    steps = [Operation("post", f"{SESSION}/{name}", f"{name}_step", summary, schemas.State,
                       query="state", body={"init": "init", "run": "run"}.get(name, "no_body"),
                       errors=step_errors)
             for name, summary in STEPS.items()]
    return [
        Operation("get", "/api/datasets", "list_datasets", "Every data set with its "
                  "parameter schema.", schemas.Catalog),
        Operation("get", "/api/catalog", "show_catalog", "What the page builds its form "
                  "from: data sets, start methods, limits.", schemas.PageCatalog),
        Operation("get", "/api/openapi.json", "openapi", "This document."),
        Operation("post", "/api/sessions", "create_session", "Start a session on a data set.",
                  schemas.FullState, status="201", query="state", body="session_create",
                  errors={**BAD_BODY, "429": "Too many new sessions from this address."},
                  extra={"links": LINKS}),
        Operation("get", SESSION, "show_session", "The session in full, with its points.",
                  schemas.FullState, query="state",
                  errors={"400": "Invalid ahead or packed.", **NO_SESSION}),
        Operation("delete", SESSION, "delete_session", "Forget the session.", status="204",
                  errors={"400": "Unknown query parameter.", **NO_SESSION}),
        Operation("get", f"{SESSION}/centroids", "show_centroids", schemas.Centroids.__doc__,
                  schemas.Centroids,
                  errors={"400": "Unknown query parameter.", **NO_SESSION,
                          "409": "No centroids yet."}),
        *steps,
        Operation("get", f"{SESSION}/elbow", "elbow",
                  f"Best inertia of {ELBOW_STARTS} seeded k-means++ starts for each k from 1 "
                  "to k_max, with the silhouette of that clustering; cached per data set.",
                  schemas.Elbow, query="elbow",
                  errors={"400": "Bad k_max.", **NO_SESSION, "429": "Too many analyses."}),
        Operation("get", f"{SESSION}/restarts", "restarts",
                  "Seeded runs to convergence from seeds seed, seed + 1, ...: the best "
                  "inertia against the session's current one.", schemas.Restarts,
                  query="restarts",
                  errors={"400": "Bad n or init.", **NO_SESSION, "429": "Too many analyses."}),
        Operation("get", f"{SESSION}/export.json", "export_json", "Every step taken (also "
                  "by Run) with its centroids, labels and inertia, and the points.",
                  schemas.Export, errors={"400": "Unknown query parameter.", **NO_SESSION}),
        Operation("get", f"{SESSION}/export.csv", "export_csv", "One row per point: x, y "
                  "(view coordinates), truth, and cluster at the current step (empty before "
                  "the first assignment).",
                  errors={"400": "Unknown query parameter.", **NO_SESSION},
                  extra={"csv": True}),
    ]


def openapi_document(config, requests):
    """The whole document, from the request models built for this app's ``config``."""
    listed = operations()
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
            operation, requests, ref)
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


def _operation(operation, requests, ref):
    described = {"operationId": operation.operation_id, "summary": operation.summary}
    parameters = [{"name": "session_id", "in": "path", "required": True,
                   "schema": {"type": "string"}}] if "{session_id}" in operation.path else []
    described["parameters"] = parameters + _query_parameters(getattr(requests, operation.query))
    if "412" in operation.errors:
        described["parameters"].append(IF_MATCH)
    if operation.body:
        model = getattr(requests, operation.body)
        described["requestBody"] = {
            "required": operation.body == "session_create",
            "content": {"application/json": {"schema": ref[model]}}}
    described["responses"] = {operation.status: _answer(operation, ref),
                              **{status: _error(text) for status, text in operation.errors.items()}}
    if "links" in operation.extra:
        described["responses"][operation.status]["links"] = operation.extra["links"]
    return described


def _answer(operation, ref):
    if operation.status == "204":
        return {"description": "Done."}
    if operation.extra.get("csv"):
        content = {"text/csv": {"schema": {"type": "string"}}}
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
