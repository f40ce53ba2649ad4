"""Every date and datetime that a request carries is read as ISO 8601 text only.

The test walks the whole API's OpenAPI document, sends a number in each
date and datetime of a request body or query string, and expects the 422
to name the field and the form expected. Pydantic alone reads a number as
seconds since the epoch, or rejects it with a message about "zero time".
"""

import re
from typing import Any

import httpx
import pytest

from palermo_shared.auth import LocalIssuer, Role
from tests.openapi.conftest import EmbeddedPalermo
from tests.support.openapi import FieldPath, RequestField, request_schemas

# A date written without its separators, as a number in JSON and as text in
# a query string.
NUMBER = 20260301

# Path parameters that routes check before the body, by their name. Every
# other path parameter is "p1".
PATH_VALUES = {
    "state": "ITA",
    "iso3": "ITA",
    "instrument": "convention",
    "cluster": "criminalization",
}

EXPECTED_FORMS = {
    "date": "expected a date as text in the form YYYY-MM-DD",
    "date-time": "expected ISO 8601 text in the form YYYY-MM-DDTHH:MM:SS",
}


def _date_fields(document: dict[str, Any]) -> list[tuple[RequestField, str]]:
    """Return each date or datetime field of a JSON body or query string, with
    its format."""
    return [
        (field, schema["format"])
        for field, schema in request_schemas(document, media_type="application/json")
        if schema.get("format") in EXPECTED_FORMS
    ]


def _nested(path: FieldPath, value: object) -> object:
    """Return a JSON value holding `value` at `path`, and nothing else."""
    for part in reversed(path):
        value = [value] if isinstance(part, int) else {part: value}
    return value


def _send(
    palermo: EmbeddedPalermo, field: RequestField, headers: dict[str, str]
) -> httpx.Response:
    route = re.sub(
        r"\{([a-z_0-9]+)\}", lambda match: PATH_VALUES.get(match[1], "p1"), field.route
    )
    url = f"{palermo.url}{route}"
    if field.location == "query":
        return httpx.request(
            field.method, url, params={field.name: str(NUMBER)}, headers=headers
        )
    return httpx.request(
        field.method, url, json=_nested(field.path, NUMBER), headers=headers
    )


@pytest.fixture(scope="module")
def document(palermo: EmbeddedPalermo, secretariat: dict[str, str]) -> dict[str, Any]:
    response = httpx.get(f"{palermo.url}/api/v1/openapi.json", headers=secretariat)
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    return document


def test_every_date_field_takes_text_only(
    palermo: EmbeddedPalermo, secretariat: dict[str, str], document: dict[str, Any]
) -> None:
    tokens = LocalIssuer.from_key_file(palermo.data_dir / "signing-key.pem")
    callers = [secretariat, tokens.headers(Role.FOCAL_POINT, "ITA")]
    fields = _date_fields(document)
    wrong = []

    for field, format in fields:
        responses = [_send(palermo, field, headers) for headers in callers]
        messages = [
            problem["message"]
            for response in responses
            if response.status_code == 422
            for problem in response.json().get("problems", [])
            if problem["field"] == field.name
        ]
        if not any(EXPECTED_FORMS[format] in m for m in messages):
            statuses = [r.status_code for r in responses]
            wrong.append(f"{field}: {statuses} {messages}")

    assert len(fields) >= 19
    assert wrong == []
