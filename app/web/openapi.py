"""The OpenAPI 3 document of the JSON API, served at /api/openapi.json."""

from app.core.datasets import CATALOG, SEED_MAX
from app.core.engine import INIT_METHODS
from app.web.catalog import teaching
from app.web.validation import MAX_COORDINATE

STEPS = {
    "init": "Choose the starting centroids (for init='manual', send them).",
    "assign": "E step: every point joins its nearest centroid.",
    "update": "M step: every centroid moves to the mean of its points.",
    "step": "Whichever of init, assign and update comes next.",
    "run": "Step until converged (at most max_iter updates), recording every step.",
    "back": "Undo the last step.",
    "reset": "Forget the centroids and every step; keep the data.",
}

NUMBER_PAIR = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
# What a client may send: coordinates within the limit the API checks.
INPUT_PAIR = {"type": "array", "minItems": 2, "maxItems": 2,
              "items": {"type": "number", "minimum": -MAX_COORDINATE, "maximum": MAX_COORDINATE}}


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description):
    return {"description": description,
            "content": {"application/json": {"schema": _ref("Error")}}}


def _state(description, schema="State"):
    return {"description": description,
            "content": {"application/json": {"schema": _ref(schema)}}}


SESSION_ID = {"name": "session_id", "in": "path", "required": True,
              "schema": {"type": "string"}}
AHEAD = {"name": "ahead", "in": "query", "required": False,
         "schema": {"type": "string", "enum": ["0", "1"], "default": "0"},
         "description": 'With 1, the answer says under "next" what the next step would '
                        "change, without taking it: the page draws a click at once."}
LINKS = {
    name: {"operationId": f"{name}_step",
           "parameters": {"session_id": "$response.body#/id"}}
    for name in STEPS
} | {
    name: {"operationId": operation, "parameters": {"session_id": "$response.body#/id"}}
    for name, operation in [("show", "show_session"), ("centroids", "show_centroids"),
                            ("elbow", "elbow"), ("restarts", "restarts"),
                            ("export_json", "export_json"), ("export_csv", "export_csv")]
}


def _dataset_schema(config):
    variants = []
    for name, entry in CATALOG.items():
        properties = {"name": {"type": "string", "enum": [name]}}
        for key, spec in entry["params"].items():
            schema = {"type": spec["type"], "description": teaching()["params"][key]["help"],
                      "default": spec["default"]}
            if spec["type"] != "boolean":
                schema["minimum"] = spec["minimum"]
                schema["maximum"] = spec["maximum"]
                if key == "n_samples":
                    schema["maximum"] = min(spec["maximum"], config["MAX_POINTS"])
            if spec.get("nullable"):
                schema["nullable"] = True
            properties[key] = schema
        required = ["name"]
        if name == "custom":
            properties["points"] = {"type": "array", "items": INPUT_PAIR, "minItems": 1,
                                    "maxItems": config["MAX_POINTS"]}
            properties["labels"] = {"type": "array", "nullable": True,
                                    "items": {"type": "integer", "minimum": 0, "maximum": 999}}
            required.append("points")
        variants.append({"type": "object", "properties": properties, "required": required,
                         "additionalProperties": False})
    return {"oneOf": variants, "description": teaching()["datasets"][name]["description"]}


def _state_schema(with_points):
    nullable_number = {"type": "number", "nullable": True}
    properties = {
        "id": {"type": "string"},
        "dataset": {"type": "object"},
        "n_samples": {"type": "integer"},
        "n_features": {"type": "integer"},
        "view_is_space": {"type": "boolean"},
        "has_images": {"type": "boolean"},
        "k": {"type": "integer"},
        "init": {"type": "string", "enum": list(INIT_METHODS)},
        "seed": {"type": "integer"},
        "phase": {"type": "string", "enum": ["new", "initialized", "assigned", "updated"]},
        "next_step": {"type": "string", "enum": ["init", "assign", "update"], "nullable": True},
        "iteration": {"type": "integer", "description": "Updates done."},
        "centroids": {"type": "array", "items": NUMBER_PAIR, "nullable": True,
                      "description": "In view coordinates."},
        "labels": {"type": "array", "items": {"type": "integer"}, "nullable": True},
        "inertia": nullable_number,
        "changed": {"type": "integer", "nullable": True},
        "converged": {"type": "boolean"},
        "events": {"type": "array", "items": {"type": "object", "properties": {
            "type": {"type": "string"}, "message": {"type": "string"}},
            "required": ["type", "message"]}},
        "can_back": {"type": "boolean"},
        "history": {"type": "array", "items": {"type": "object", "properties": {
            "step": {"type": "string", "enum": ["init", "assign", "update"]},
            "inertia": nullable_number,
            "changed": {"type": "integer", "nullable": True}}}},
        "trail": {"type": "array", "items": {"type": "array", "items": NUMBER_PAIR}},
        "metrics": METRICS,
    }
    if with_points:
        properties["points"] = {"type": "array", "items": NUMBER_PAIR}
        properties["truth"] = {"type": "array", "items": {"type": "integer"}, "nullable": True}
        properties["truth_names"] = {"type": "array", "items": {"type": "string"},
                                     "nullable": True}
    required = list(properties)
    properties["next"] = {
        "type": "object", "nullable": True,
        "description": "Only with ahead=1: the fields of this state that the next step would "
                       "change, with their new values; null when it cannot be told ahead "
                       "(converged, or a manual start waiting for its centroids)."}
    return {"type": "object", "properties": properties, "required": required}


def _step_operation(name, config):
    operation = {
        "operationId": f"{name}_step",
        "summary": STEPS[name],
        "parameters": [SESSION_ID, AHEAD],
        "responses": {
            "200": _state("The session after the step (no points)."),
            "400": _error("Malformed body, or invalid ahead."),
            "404": _error("No such session."),
            "409": _error("Step out of order; the message says what to do next."),
            "413": _error("Body too large."),
        },
    }
    body = {"type": "object", "additionalProperties": False, "properties": {}}
    if name == "init":
        body["properties"]["centroids"] = {
            "type": "array", "items": INPUT_PAIR, "minItems": 1, "maxItems": config["MAX_K"],
            "description": "For init='manual': exactly k centroids, in view coordinates."}
    if name == "run":
        body["properties"]["max_iter"] = {"type": "integer", "minimum": 0,
                                          "maximum": config["MAX_ITER"],
                                          "default": config["DEFAULT_MAX_ITER"]}
    operation["requestBody"] = {"required": False,
                                "content": {"application/json": {"schema": body}}}
    return operation


NUMBERS = {"type": "array", "items": {"type": "number"}}
METRICS = {
    "type": "object", "nullable": True,
    "description": "Against the true labels, after an assignment; null without labels or truth.",
    "properties": {
        "ari": {"type": "number", "description": "sklearn.metrics.adjusted_rand_score"},
        "purity": {"type": "number", "minimum": 0, "maximum": 1},
        "contingency": {"type": "array", "description": "Points of each cluster (rows, k) "
                        "in each true class (columns, as truth_names).",
                        "items": {"type": "array", "items": {"type": "integer", "minimum": 0}}},
        "truth_names": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["ari", "purity", "contingency", "truth_names"],
}


def _analysis_operation(operation_id, summary, parameters, content, errors):
    return {
        "operationId": operation_id,
        "summary": summary,
        "parameters": [SESSION_ID, *parameters],
        "responses": {"200": {"description": summary, "content": content},
                      "404": _error("No such session."),
                      **{status: _error(text) for status, text in errors.items()}},
    }


def _json(schema):
    return {"application/json": {"schema": schema}}


def _analysis_paths(config):
    """The elbow, restarts and exports of a session (app/analysis.py)."""
    # Imported here: app.analysis imports app.api, which imports this module.
    from app.web.analysis import DEFAULT_K_MAX, DEFAULT_RESTARTS, MAX_RESTARTS
    from app.core.analysis import ELBOW_STARTS

    nullable_number = {"type": "number", "nullable": True}
    partial = {"type": "boolean", "description": "False when the request ran out of time: "
               "ask again to go on from there."}
    step = {"type": "object", "properties": {
        "step": {"type": "string", "enum": ["init", "assign", "update"]},
        "centroids": {"type": "array", "items": NUMBER_PAIR, "description": "In view coordinates."},
        "labels": {"type": "array", "items": {"type": "integer"}, "nullable": True},
        "inertia": nullable_number,
        "changed": {"type": "integer", "nullable": True},
        "relocations": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}},
    }, "required": ["step", "centroids", "labels", "inertia", "changed", "relocations"]}
    run = {"type": "object", "properties": {
        "seed": {"type": "integer"}, "inertia": {"type": "number"},
        "iterations": {"type": "integer"}, "converged": {"type": "boolean"}}}
    seeded = [method for method in INIT_METHODS if method != "manual"]
    return {
        "/api/sessions/{session_id}/elbow": {"get": _analysis_operation(
            "elbow", f"Best inertia of {ELBOW_STARTS} seeded k-means++ starts for each k "
                     "from 1 to k_max, with the silhouette of that clustering; cached per "
                     "data set.",
            [{"name": "k_max", "in": "query", "required": False, "schema": {
                "type": "integer", "minimum": 1, "maximum": config["MAX_K"],
                "default": DEFAULT_K_MAX, "description": "At most the number of points."}}],
            _json({"type": "object", "properties": {
                "k": {"type": "array", "items": {"type": "integer"}},
                "inertia": NUMBERS,
                "silhouette": {"type": "array", "items": nullable_number},
                "k_max": {"type": "integer"}, "complete": partial,
                "starts": {"type": "integer"}},
                "required": ["k", "inertia", "silhouette", "k_max", "complete", "starts"]}),
            {"400": "Bad k_max."})},
        "/api/sessions/{session_id}/restarts": {"get": _analysis_operation(
            "restarts", "Seeded runs to convergence from seeds seed, seed + 1, ...: "
                        "the best inertia against the session's current one.",
            [{"name": "n", "in": "query", "required": False, "schema": {
                "type": "integer", "minimum": 1, "maximum": MAX_RESTARTS,
                "default": DEFAULT_RESTARTS}},
             {"name": "init", "in": "query", "required": False, "schema": {
                 "type": "string", "enum": seeded,
                 "description": "Default: the session's, or kmeans++ for a manual one."}}],
            _json({"type": "object", "properties": {
                "k": {"type": "integer"}, "init": {"type": "string", "enum": seeded},
                "n": {"type": "integer"}, "complete": partial,
                "starts": {"type": "array", "items": run},
                "best": {"type": "object", "properties": {
                    "seed": {"type": "integer"}, "inertia": {"type": "number"}}},
                "current": {"type": "object", "properties": {
                    "seed": {"type": "integer"}, "init": {"type": "string"},
                    "phase": {"type": "string"}, "inertia": nullable_number,
                    "converged": {"type": "boolean"}}}},
                "required": ["k", "init", "n", "complete", "starts", "best", "current"]}),
            {"400": "Bad n or init."})},
        "/api/sessions/{session_id}/export.json": {"get": _analysis_operation(
            "export_json", "Every step taken (also by Run) with its centroids, labels "
                           "and inertia, and the points.", [],
            _json({"type": "object", "properties": {
                "dataset": {"type": "object"}, "k": {"type": "integer"},
                "init": {"type": "string"}, "seed": {"type": "integer"},
                "points": {"type": "array", "items": NUMBER_PAIR},
                "truth": {"type": "array", "items": {"type": "integer"}, "nullable": True},
                "truth_names": {"type": "array", "items": {"type": "string"}, "nullable": True},
                "steps": {"type": "array", "items": step}},
                "required": ["dataset", "k", "init", "seed", "points", "truth", "truth_names",
                             "steps"]}),
            {"400": "Unexpected query parameter."})},
        "/api/sessions/{session_id}/export.csv": {"get": _analysis_operation(
            "export_csv", "One row per point: x, y (view coordinates), truth, and cluster "
                          "at the current step (empty before the first assignment).", [],
            {"text/csv": {"schema": {"type": "string"}}},
            {"400": "Unexpected query parameter."})},
    }


def openapi_document(config):
    """The whole document; limits come from the app's configuration."""
    paths = {
        "/api/datasets": {"get": {
            "operationId": "list_datasets",
            "summary": "Every data set with its parameter schema.",
            "responses": {"200": {"description": "The catalog.", "content": {
                "application/json": {"schema": {"type": "object", "properties": {
                    "datasets": {"type": "array", "items": {"type": "object"}}},
                    "required": ["datasets"]}}}}},
        }},
        "/api/catalog": {"get": {
            "operationId": "show_catalog",
            "summary": "What the page builds its form from: data sets, start methods, limits.",
            "responses": {"200": {"description": "The catalog.", "content": {
                "application/json": {"schema": {"type": "object", "properties": {
                    "datasets": {"type": "array", "items": {"type": "object"}},
                    "starts": {"type": "array", "items": {"type": "object"}},
                    "limits": {"type": "object"}},
                    "required": ["datasets", "starts", "limits"]}}}}},
        }},
        "/api/openapi.json": {"get": {
            "operationId": "openapi",
            "summary": "This document.",
            "responses": {"200": {"description": "OpenAPI 3 document.",
                                  "content": {"application/json": {"schema": {"type": "object"}}}}},
        }},
        "/api/sessions": {"post": {
            "operationId": "create_session",
            "summary": "Start a session on a data set.",
            "parameters": [AHEAD],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": _ref("SessionCreate")}}},
            "responses": {
                "201": {**_state("The new session, with its points.", "FullState"),
                        "links": LINKS},
                "400": _error("Invalid data set, parameter, k, init, seed or ahead."),
                "413": _error("Body too large."),
            },
        }},
        "/api/sessions/{session_id}": {
            "get": {
                "operationId": "show_session",
                "summary": "The session in full, with its points.",
                "parameters": [SESSION_ID, AHEAD],
                "responses": {"200": _state("The session.", "FullState"),
                              "400": _error("Invalid ahead."),
                              "404": _error("No such session.")},
            },
            "delete": {
                "operationId": "delete_session",
                "summary": "Forget the session.",
                "parameters": [SESSION_ID],
                "responses": {"204": {"description": "Deleted."},
                              "404": _error("No such session.")},
            },
        },
        "/api/sessions/{session_id}/centroids": {"get": {
            "operationId": "show_centroids",
            "summary": "Centroids in every dimension of the clustering space; "
                       "28 × 28 images for MNIST.",
            "parameters": [SESSION_ID],
            "responses": {"200": {"description": "The centroids.", "content": {
                "application/json": {"schema": _ref("Centroids")}}},
                "404": _error("No such session."),
                "409": _error("No centroids yet.")},
        }},
    }
    for name in STEPS:
        paths[f"/api/sessions/{{session_id}}/{name}"] = {"post": _step_operation(name, config)}
    paths |= _analysis_paths(config)

    schemas = {
        "Error": {"type": "object", "required": ["error", "status"], "properties": {
            "error": {"type": "string"}, "status": {"type": "integer"}}},
        "SessionCreate": {
            "type": "object", "required": ["dataset", "k"], "additionalProperties": False,
            "properties": {
                "dataset": {"oneOf": [
                    {"type": "string", "enum": list(CATALOG)}, _dataset_schema(config)]},
                "k": {"type": "integer", "minimum": 1, "maximum": config["MAX_K"],
                      "description": "Number of clusters; at most the number of points."},
                "init": {"type": "string", "enum": list(INIT_METHODS), "default": "kmeans++"},
                "seed": {"type": "integer", "minimum": 0, "maximum": SEED_MAX, "default": 0},
            },
        },
        "State": _state_schema(with_points=False),
        "FullState": _state_schema(with_points=True),
        "Centroids": {"type": "object", "properties": {
            "id": {"type": "string"},
            "phase": {"type": "string"},
            "iteration": {"type": "integer"},
            "dimensions": {"type": "integer"},
            "centroids": {"type": "array", "items": {"type": "array",
                                                     "items": {"type": "number"}}},
            "sizes": {"type": "array", "items": {"type": "integer"}, "nullable": True},
            "image_shape": {"type": "array", "items": {"type": "integer"}, "nullable": True},
            "images": {"type": "array", "nullable": True,
                       "items": {"type": "array", "items": {"type": "array",
                                                            "items": {"type": "number"}}}},
        }},
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "K-Means Stepper API", "version": "1.0.0",
                 "description": "Lloyd's algorithm for k-means, one step at a time, "
                                "agreeing with scikit-learn's KMeans step by step."},
        "paths": paths,
        "components": {"schemas": schemas},
    }
