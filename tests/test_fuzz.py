"""The API under a fuzzer driven by its own OpenAPI document: no 5xx, no undocumented answer.

The document links session creation to the step endpoints, so the stateful
run reaches live sessions and not only 404s. Every one of schemathesis's
checks runs but one: some valid-looking bodies are rightly refused for rules a
schema cannot say (k at most the number of points, one label per point).
"""

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app import create_app

EXCLUDED = [positive_data_acceptance]

app = create_app({"TESTING": True, "RATE_LIMITS_ENABLED": False, "MAX_POINTS": 2000,
                  "MAX_ITER": 50, "DEFAULT_MAX_ITER": 50, "MAX_COMPUTE_SECONDS": 0.05})
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)


@schema.parametrize()
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case):
    case.call_and_validate(excluded_checks=EXCLUDED)


class Workflows(schema.as_state_machine()):
    def validate_response(self, response, case, additional_checks=None, **kwargs):
        case.validate_response(response, additional_checks=additional_checks,
                               excluded_checks=EXCLUDED, transport_kwargs=kwargs or None,
                               recorder=self.recorder)


TestWorkflows = Workflows.TestCase
TestWorkflows.settings = settings(max_examples=40, stateful_step_count=8, deadline=None,
                                  derandomize=True, suppress_health_check=list(HealthCheck))
