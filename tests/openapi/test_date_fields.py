"""Every date and datetime that a request carries is read as ISO 8601 text only.

The test walks the whole API's OpenAPI document, sends a number in each
date and datetime of a request body or query string, and expects the 422
to name the field and the form expected. Pydantic alone reads a number as
seconds since the epoch, or rejects it with a message about "zero time".
"""

from typing import Any

from tests.openapi.conftest import EmbeddedPalermo
from tests.support.openapi import (
    RequestField,
    field_problems,
    request_schemas,
    send_to_field,
)

# A date written without its separators, as a number in JSON and as text in
# a query string.
NUMBER = 20260301

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


def test_every_date_field_takes_text_only(
    palermo: EmbeddedPalermo, callers: list[dict[str, str]], document: dict[str, Any]
) -> None:
    fields = _date_fields(document)
    wrong = []

    for field, format in fields:
        responses = [
            send_to_field(palermo.url, field, NUMBER, headers) for headers in callers
        ]
        messages = [m for r in responses for m in field_problems(r, field)]
        if not any(EXPECTED_FORMS[format] in m for m in messages):
            statuses = [r.status_code for r in responses]
            wrong.append(f"{field}: {statuses} {messages}")

    assert len(fields) >= 19
    assert wrong == []
