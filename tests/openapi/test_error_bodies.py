"""Error bodies over HTTP for requests the framework rejects before any route."""

import httpx
import pytest

from tests.openapi.conftest import EmbeddedPalermo

PHASES = "/api/v1/draw/phases"


def _post(
    palermo: EmbeddedPalermo, headers: dict[str, str], content: bytes, media_type: str
) -> httpx.Response:
    return httpx.post(
        f"{palermo.url}{PHASES}",
        content=content,
        headers={**headers, "Content-Type": media_type},
    )


def test_json_as_plain_text_unsupported(
    palermo: EmbeddedPalermo, secretariat: dict[str, str]
) -> None:
    response = _post(palermo, secretariat, b'{"years": "III-VI"}', "text/plain")

    assert response.status_code == 415
    body = response.json()
    assert body["code"] == "unsupported_media_type"
    assert body["field"] == "content-type"
    assert "Content-Type sent: 'text/plain'" in body["detail"]


def test_truncated_json_names_position(
    palermo: EmbeddedPalermo, secretariat: dict[str, str]
) -> None:
    response = _post(palermo, secretariat, b'{"years": ', "application/json")

    assert response.status_code == 422
    [problem] = response.json()["problems"]
    assert problem["field"] == "body"
    assert problem["message"].startswith("invalid JSON at character 10")


def test_missing_body_invalid(
    palermo: EmbeddedPalermo, secretariat: dict[str, str]
) -> None:
    response = httpx.post(f"{palermo.url}{PHASES}", headers=secretariat)

    assert response.status_code == 422
    assert response.json()["field"] == "body"


@pytest.mark.parametrize(
    ("method", "path", "content", "status", "code"),
    [
        ("POST", PHASES, b'{"years": "\xff"}', 400, "bad_request"),
        ("GET", "/api/v1/draw/nothing", b"", 404, "not_found"),
        ("OPTIONS", "/api/v1/draw/states", b"", 405, "method_not_allowed"),
    ],
    ids=["not-utf-8", "unknown-path", "unrouted-method"],
)
def test_framework_error_has_code(
    palermo: EmbeddedPalermo,
    secretariat: dict[str, str],
    method: str,
    path: str,
    content: bytes,
    status: int,
    code: str,
) -> None:
    headers = {**secretariat, "Content-Type": "application/json"}

    response = httpx.request(
        method, f"{palermo.url}{path}", content=content, headers=headers
    )

    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["detail"]
