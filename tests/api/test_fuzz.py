"""The API under a fuzzer driven by its own generated OpenAPI document: every one of
schemathesis's checks (``--checks all``), no 5xx, no undocumented answer.

The document links session creation to the step endpoints, so the stateful
run reaches live sessions and not only 404s.

Three operations have rules a JSON Schema cannot state, since they compare two
values: k at most the data set's points and one label per point (creating a
session), exactly k manual centroids, for a manual session only (init), and
k_max at most the session's points (the elbow). A schema-valid request can
break them, and is rightly refused with a 400 that says which rule; for those
three, and only for the positive-data check, 400 is an expected answer. And a
step sent with If-Match from a version the session has left is rightly a 412.
"""

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from app import create_app
from app.web import openapi

CROSS_FIELD_RULES = ["create_session", "init_step", "elbow"]
# A step sent with If-Match from a version the session has left is rightly a 412.
STEPS = [f"{name}_step" for name in openapi.STEPS if f"{name}_step" not in CROSS_FIELD_RULES]
CONFIG = SchemathesisConfig.from_dict({"operations": [{
    "include-operation-id": CROSS_FIELD_RULES,
    "checks": {"positive_data_acceptance": {
        "expected-statuses": ["2xx", "400", "404", "409", "412", "429"]}},
}, {
    "include-operation-id": STEPS,
    "checks": {"positive_data_acceptance": {
        "expected-statuses": ["2xx", "404", "409", "412", "429"]}},
}]})

app = create_app({"TESTING": True, "RATE_LIMITS_ENABLED": False, "MAX_POINTS": 2000,
                  "MAX_ITER": 50, "DEFAULT_MAX_ITER": 50, "MAX_COMPUTE_SECONDS": 0.05})
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=CONFIG)


@schema.parametrize()
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case):
    case.call_and_validate()


class Workflows(schema.as_state_machine()):
    pass


TestWorkflows = Workflows.TestCase
TestWorkflows.settings = settings(max_examples=40, stateful_step_count=8, deadline=None,
                                  derandomize=True, suppress_health_check=list(HealthCheck))
