"""Inputs that once made a service respond with 5xx, sent through the gateway."""

import httpx

from tests.openapi.conftest import EmbeddedPalermo


def test_huge_notification_offset_is_422(
    palermo: EmbeddedPalermo, secretariat: dict[str, str]
) -> None:
    response = httpx.get(
        f"{palermo.url}/api/v1/notify/notifications",
        params={"offset": str(2**64)},
        headers=secretariat,
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "offset"]


def test_control_character_in_path_is_forwarded(
    palermo: EmbeddedPalermo, secretariat: dict[str, str]
) -> None:
    response = httpx.get(
        f"{palermo.url}/api/v1/draw/phases/%1A/draw", headers=secretariat
    )

    assert response.status_code == 404
