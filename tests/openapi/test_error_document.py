"""The 422 body the whole API's OpenAPI document describes, against a real one."""

import httpx
import jsonschema
import pytest

from tests.openapi.conftest import EmbeddedPalermo


@pytest.mark.parametrize(
    ("schema_name", "path", "params"),
    [
        ("draw.HTTPValidationError", "/api/v1/draw/states", {"on": "someday"}),
        ("review.HTTPValidationError", "/api/v1/review/reviews", {"limit": "x"}),
        (
            "notify.HTTPValidationError",
            "/api/v1/notify/notifications",
            {"offset": "-1"},
        ),
    ],
)
def test_documented_invalid_body_matches(
    palermo: EmbeddedPalermo,
    secretariat: dict[str, str],
    schema_name: str,
    path: str,
    params: dict[str, str],
) -> None:
    document = httpx.get(f"{palermo.url}/api/v1/openapi.json").json()
    schema = document["components"]["schemas"][schema_name]

    response = httpx.get(f"{palermo.url}{path}", params=params, headers=secretariat)

    assert response.status_code == 422
    jsonschema.validate(response.json(), schema)
    assert "problems" in schema["properties"]
