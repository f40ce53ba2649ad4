"""HEAD requests over HTTP: the headers of the GET, without its body."""

import httpx
import pytest

from tests.openapi.conftest import EmbeddedPalermo


@pytest.mark.parametrize(
    "path",
    [
        "/healthz/live",
        "/api/v1/draw/healthz/live",
        "/api/v1/openapi.json",
        "/dashboard",
        "/api/v1/draw/states/ITA",
        "/api/v1/notify/rules",
    ],
)
def test_head_matches_get(
    palermo: EmbeddedPalermo, secretariat: dict[str, str], path: str
) -> None:
    get = httpx.get(f"{palermo.url}{path}", headers=secretariat)

    head = httpx.head(f"{palermo.url}{path}", headers=secretariat)

    assert get.status_code == 200
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == str(len(get.content))


def test_head_without_token_unauthorized(palermo: EmbeddedPalermo) -> None:
    response = httpx.head(f"{palermo.url}/api/v1/draw/states/ITA")

    assert response.status_code == 401
    assert response.content == b""


def test_head_of_event_stream_ends(
    palermo: EmbeddedPalermo, secretariat: dict[str, str]
) -> None:
    response = httpx.head(
        f"{palermo.url}/api/v1/events", headers=secretariat, timeout=5
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.content == b""
