"""Whole numbers and booleans in request bodies are JSON numbers and booleans only.

The test walks the whole API's OpenAPI document and sends text, and for a
whole number also `true`, in each integer and boolean field of a JSON
body. It expects the 422 to name the field. Pydantic alone reads "3" as 3,
`true` as 1 and "no" as false. Query strings are text by nature, so their
numbers are left out.
"""

from typing import Any

import httpx

from tests.openapi.conftest import EmbeddedPalermo
from tests.support.openapi import (
    RequestField,
    field_problems,
    request_schemas,
    send_to_field,
)

WRONG_VALUES: dict[str, list[object]] = {
    "integer": ["3", True],
    "boolean": ["true", "no", 1],
}


def _typed_body_fields(document: dict[str, Any]) -> list[tuple[RequestField, str]]:
    """Return each integer or boolean field of a JSON body, with its type."""
    return [
        (field, schema["type"])
        for field, schema in request_schemas(document, media_type="application/json")
        if field.location == "body" and schema.get("type") in WRONG_VALUES
    ]


def test_typed_fields_reject_other_types(
    palermo: EmbeddedPalermo, callers: list[dict[str, str]], document: dict[str, Any]
) -> None:
    fields = _typed_body_fields(document)
    accepted = []

    for field, json_type in fields:
        for value in WRONG_VALUES[json_type]:
            responses = [
                send_to_field(palermo.url, field, value, headers) for headers in callers
            ]
            if not any(field_problems(r, field) for r in responses):
                statuses = [r.status_code for r in responses]
                accepted.append(f"{field} = {value!r}: {statuses}")

    assert len(fields) >= 10
    assert accepted == []


def test_typed_field_error_says_expected(
    palermo: EmbeddedPalermo, secretariat: dict[str, str]
) -> None:
    url = f"{palermo.url}/api/v1/draw/cohorts"

    as_text = httpx.post(url, json={"seed": "s", "count": "3"}, headers=secretariat)
    as_float = httpx.post(url, json={"seed": "s", "count": 3.0}, headers=secretariat)

    assert as_text.status_code == 422
    assert as_text.json()["problems"] == [
        {"field": "count", "message": "expected a whole number such as 3, not text"}
    ]
    assert as_float.status_code == 422
    assert as_float.json()["problems"] == [
        {
            "field": "count",
            "message": "expected a whole number such as 3, not a number with a "
            "fractional part or exponent",
        }
    ]
