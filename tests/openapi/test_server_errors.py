"""Inputs that once made a service respond with 5xx, sent through the gateway."""

import httpx
import pytest

from tests.openapi.conftest import EmbeddedPalermo

RESPONSE = "/api/v1/questionnaire/phases/p/responses/ITA/convention/criminalization"
TOO_LARGE = str(2**63)


def test_huge_notification_offset_is_422(
    palermo: EmbeddedPalermo, secretariat: dict[str, str]
) -> None:
    response = httpx.get(
        f"{palermo.url}/api/v1/notify/notifications",
        params={"offset": str(2**64)},
        headers=secretariat,
    )

    assert response.status_code == 422
    assert response.json()["field"] == "offset"


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/review/reviews", {"offset": TOO_LARGE}, "offset"),
        (f"{RESPONSE}/versions/{TOO_LARGE}", {}, "version"),
        (f"{RESPONSE}/versions/2/diff", {"against": TOO_LARGE}, "against"),
        (f"{RESPONSE}/export.json", {"version": TOO_LARGE}, "version"),
        (
            "/api/v1/questionnaire/phases/p/overview",
            {"article": TOO_LARGE},
            "article",
        ),
        ("/api/v1/audit", {"after": TOO_LARGE}, "after"),
    ],
)
def test_integer_beyond_64_bits_is_422(
    palermo: EmbeddedPalermo,
    secretariat: dict[str, str],
    path: str,
    params: dict[str, str],
    field: str,
) -> None:
    response = httpx.get(f"{palermo.url}{path}", params=params, headers=secretariat)

    assert response.status_code == 422, response.text
    assert response.json()["field"] == field


def test_control_character_in_path_is_422(
    palermo: EmbeddedPalermo, secretariat: dict[str, str]
) -> None:
    response = httpx.get(
        f"{palermo.url}/api/v1/draw/phases/%1A/draw", headers=secretariat
    )

    assert response.status_code == 422, response.text
    assert response.json()["field"] == "path"
