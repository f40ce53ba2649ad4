"""Paths with a trailing slash, sent through the gateway."""

import httpx

from tests.openapi.conftest import EmbeddedPalermo


def test_trailing_slash_not_redirected(
    palermo: EmbeddedPalermo, secretariat: dict[str, str]
) -> None:
    response = httpx.get(f"{palermo.url}/api/v1/draw/states/ITA/", headers=secretariat)

    assert response.status_code == 404
    assert "location" not in response.headers


def test_path_without_slash_found(
    palermo: EmbeddedPalermo, secretariat: dict[str, str]
) -> None:
    response = httpx.get(f"{palermo.url}/api/v1/draw/states/ITA", headers=secretariat)

    assert response.status_code == 200


def test_service_prefix_not_redirected(
    palermo: EmbeddedPalermo, secretariat: dict[str, str]
) -> None:
    response = httpx.get(f"{palermo.url}/api/v1/draw", headers=secretariat)

    assert response.status_code == 404
    assert "location" not in response.headers
