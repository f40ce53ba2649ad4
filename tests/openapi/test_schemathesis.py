"""Schemathesis over the gateway's OpenAPI document: no request may get a 5xx.

Every operation of `/api/v1/openapi.json` is called with generated inputs
as the Secretariat, against the embedded default (every service behind the
real gateway), and every 5xx is collected and reported at the end. The
event stream is left out because its response never ends.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.schemas import APIOperation

from tests.openapi.conftest import EmbeddedPalermo

MAX_EXAMPLES = 20
SKIPPED = {("GET", "/api/v1/events")}


def _server_errors(
    operation: APIOperation, base_url: str, headers: dict[str, str]
) -> list[str]:
    """Call `operation` with generated inputs; return each 5xx, described."""
    found: list[str] = []

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def call(case: schemathesis.Case) -> None:
        response = case.call(base_url=base_url, headers=headers)
        if response.status_code >= 500:
            found.append(
                f"{operation.label} answered {response.status_code} "
                f"{response.text[:300]!r} to: {case.as_curl_command()}"
            )

    call()
    return found


# Schemathesis' own strategies sometimes draw from the `random` module. Hypothesis
# then emits a deprecation warning that is unrelated to the API under test.
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
@pytest.mark.timeout(300)
def test_no_server_error(palermo: EmbeddedPalermo, secretariat: dict[str, str]) -> None:
    schema = schemathesis.openapi.from_url(f"{palermo.url}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    tested = [
        operation
        for operation in operations
        if (operation.method.upper(), operation.path) not in SKIPPED
    ]

    errors = [
        error
        for operation in tested
        for error in _server_errors(operation, palermo.url, secretariat)
    ]

    assert len(tested) == len(operations) - len(SKIPPED)
    assert errors == [], "\n".join(errors)
