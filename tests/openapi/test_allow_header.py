"""The Allow header of a 405 lists the methods the path serves, over HTTP.

The gateway responds for its own routes and for the writes its route policy
does not list, and a service responds for the requests forwarded to it.
"""

import httpx
import pytest

from tests.openapi.conftest import EmbeddedPalermo

PHASE = "/api/v1/draw/phases/p1"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        # Writes that the route policy lists for other methods only.
        ("PUT", "/api/v1/draw/verifications", "POST"),
        ("DELETE", "/api/v1/review/deadlines/check", "POST"),
        ("POST", "/api/v1/draw/states/ITA", "GET, HEAD, PUT"),
        ("DELETE", f"{PHASE}/redraws", "GET, HEAD, POST"),
        ("PUT", "/api/v1/accounts", "GET, HEAD, POST"),
        # A gateway path whose method no gateway route serves; GET is routed
        # there as a lookup of the account id "activations".
        ("PUT", "/api/v1/accounts/activations", "GET, HEAD, POST"),
        # Methods that no route serves.
        ("OPTIONS", "/api/v1/draw/verifications", "POST"),
        ("TRACE", "/api/v1/draw/states/ITA", "GET, HEAD, PUT"),
        ("TRACE", "/api/v1/accounts/me", "GET, HEAD"),
        ("TRACE", "/api/v1/draw/healthz/live", "GET, HEAD"),
        # Reads forwarded to a service, which serves no GET there.
        ("GET", "/api/v1/draw/verifications", "POST"),
        ("HEAD", "/api/v1/review/deadlines/check", "POST"),
    ],
)
def test_allow_lists_served_methods(
    palermo: EmbeddedPalermo,
    secretariat: dict[str, str],
    method: str,
    path: str,
    allow: str,
) -> None:
    response = httpx.request(method, f"{palermo.url}{path}", headers=secretariat)

    assert response.status_code == 405
    assert response.headers["allow"] == allow
    if method != "HEAD":
        assert response.json()["allowed"] == allow.split(", ")


def test_unknown_path_not_found_for_any_method(
    palermo: EmbeddedPalermo, secretariat: dict[str, str]
) -> None:
    response = httpx.request(
        "TRACE", f"{palermo.url}/api/v1/draw/nothing", headers=secretariat
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
