"""Authentication and role checks at the gateway, over real HTTP with real tokens."""

import datetime as dt
import re

import httpx
import jwt
import pytest

from palermo_gateway.policy import ROUTE_POLICIES
from palermo_shared.auth import (
    LocalIssuer,
    Role,
    load_or_create_signing_key,
)
from tests.support.tokens import local_token

ROLE_LETTERS = {
    "S": Role.SECRETARIAT,
    "F": Role.FOCAL_POINT,
    "E": Role.EXPERT,
    "O": Role.OBSERVER,
}
OWN_STATE = "KEN"
OTHER_STATE = "NGA"
PHASE = "/api/v1/draw/phases/p1"
REVIEW = "/api/v1/review/reviews/r1"
RESPONSE = (
    f"/api/v1/questionnaire/phases/p1/responses/{OWN_STATE}/convention/criminalization"
)

# Each route of the policy table, with the roles expected to pass the
# gateway: S(ecretariat), F(ocal point), E(xpert), O(bserver).
EXPECTED_ROLES = [
    ("GET", "/api/v1/events", "SFEO"),
    ("GET", "/api/v1/events/counts", "S"),
    ("GET", "/api/v1/dashboard", "S"),
    ("GET", "/api/v1/draw/states", "SFEO"),
    ("GET", "/api/v1/draw/states/KEN", "SFEO"),
    ("GET", "/api/v1/draw/registry-changes", "SFEO"),
    ("GET", PHASE, "SFEO"),
    ("GET", f"{PHASE}/meetings", "SFEO"),
    ("GET", f"{PHASE}/seed-commitment", "SFEO"),
    ("GET", f"{PHASE}/draw", "SFEO"),
    ("GET", f"{PHASE}/draw/record", "SFEO"),
    ("GET", f"{PHASE}/draw/verification", "SFEO"),
    ("GET", f"{PHASE}/redraws", "SFEO"),
    ("GET", "/api/v1/draw/cohorts/c1", "SFEO"),
    ("POST", "/api/v1/draw/phases", "S"),
    ("POST", f"{PHASE}/meetings", "S"),
    ("POST", f"{PHASE}/seed-commitment", "S"),
    ("POST", f"{PHASE}/draw", "S"),
    ("POST", f"{PHASE}/redraws", "S"),
    ("POST", "/api/v1/draw/cohorts", "S"),
    ("PUT", "/api/v1/draw/states/KEN", "S"),
    ("POST", "/api/v1/draw/states/import", "S"),
    ("POST", "/api/v1/draw/verifications", "SFE"),
    (
        "GET",
        "/api/v1/questionnaire/phases/p1/questionnaires/convention/criminalization",
        "SFEO",
    ),
    ("GET", "/api/v1/questionnaire/phases/p1/overview", "S"),
    ("PUT", RESPONSE, "FE"),
    ("POST", f"{RESPONSE}/submit", "FE"),
    ("POST", f"{RESPONSE}/contributions", "FE"),
    ("POST", f"{RESPONSE}/attachments", "FE"),
    ("GET", f"{REVIEW}/published", "SFEO"),
    ("PUT", "/api/v1/review/phases/p1/focal-points", "S"),
    ("PUT", f"{REVIEW}/focal-points/KEN", "S"),
    ("POST", f"{REVIEW}/extensions", "S"),
    ("POST", "/api/v1/review/deadlines/check", "S"),
    ("POST", "/api/v1/review/experts", "SF"),
    ("DELETE", f"{REVIEW}/experts/e1", "SF"),
    ("POST", f"{REVIEW}/observations", "SFE"),
    ("POST", f"{REVIEW}/complete", "SFE"),
    ("POST", f"{REVIEW}/agreement", "SFE"),
    ("POST", f"{REVIEW}/agreement/clearance", "SFE"),
    ("POST", f"{REVIEW}/reopen", "SFE"),
    ("PUT", f"{REVIEW}/comments", "SFE"),
    ("POST", f"{REVIEW}/comments/clearance", "SFE"),
    ("POST", f"{REVIEW}/comments/waiver", "SFE"),
    ("PUT", f"{REVIEW}/summary", "SFE"),
    ("PUT", f"{REVIEW}/summary/translations/fr", "SFE"),
    ("PUT", f"{REVIEW}/publication", "SFE"),
    ("POST", f"{REVIEW}/requests", "SFE"),
    ("POST", f"{REVIEW}/requests/q1/messages", "SFE"),
    ("POST", f"{REVIEW}/requests/q1/messages/m1/attachments", "SFE"),
    ("POST", f"{REVIEW}/meetings", "SFE"),
    ("GET", "/api/v1/notify/rules", "SFEO"),
    ("POST", "/api/v1/notify/contacts", "S"),
    ("PATCH", "/api/v1/notify/contacts/c1", "S"),
    ("POST", "/api/v1/notify/contacts/c1/deactivate", "S"),
    ("POST", "/api/v1/notify/subscriptions", "S"),
    ("DELETE", "/api/v1/notify/subscriptions/s1", "S"),
    ("POST", "/api/v1/notify/notifications/n1/resend", "S"),
    ("GET", "/api/v1/accounts/me", "SFEO"),
    ("GET", "/api/v1/accounts", "S"),
    ("GET", "/api/v1/accounts/a1", "S"),
    ("POST", "/api/v1/accounts", "S"),
    ("POST", "/api/v1/accounts/a1/end", "S"),
    ("GET", "/api/v1/audit", "S"),
    # Routes missing from the table: reads for all but observers, writes
    # for no role. A write to a path listed for other methods gets 405
    # instead (test_unlisted_write_not_allowed).
    ("GET", RESPONSE, "SFE"),
    ("GET", "/api/v1/review/reviews", "SFE"),
    ("GET", "/api/v1/notify/notifications", "SFE"),
    ("GET", "/api/v1/notify/contacts", "SFE"),
    ("POST", "/api/v1/draw/phases/p1/anything", ""),
    ("DELETE", f"{REVIEW}/observations/o1", ""),
    ("PUT", "/api/v1/review/reviews/r1", ""),
]


def _headers(tokens: LocalIssuer, letter: str) -> dict[str, str]:
    role = ROLE_LETTERS[letter]
    state = OWN_STATE if role in {Role.FOCAL_POINT, Role.EXPERT} else None
    return tokens.headers(role, state)


async def _status(
    client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str]
) -> int:
    # Streamed, because the event stream's body never ends.
    async with client.stream(method, path, headers=headers) as response:
        return response.status_code


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    EXPECTED_ROLES,
    ids=[f"{method} {path}" for method, path, _ in EXPECTED_ROLES],
)
async def test_roles_on_route(
    gateway: httpx.AsyncClient,
    tokens: LocalIssuer,
    method: str,
    path: str,
    allowed: str,
) -> None:
    statuses = {
        letter: await _status(gateway, method, path, _headers(tokens, letter))
        for letter in ROLE_LETTERS
    }

    for letter, status in statuses.items():
        if letter in allowed:
            assert status not in {401, 403}, f"{letter}: {status}"
        else:
            assert status == 403, f"{letter}: {status}"


def test_every_policy_route_tested() -> None:
    tested = [(method, path) for method, path, _ in EXPECTED_ROLES]

    for policy in ROUTE_POLICIES:
        covered = any(
            method in policy.methods and policy.pattern.fullmatch(path[7:])
            for method, path in tested
        )
        assert covered, f"no case for {sorted(policy.methods)} {policy.template}"


@pytest.mark.parametrize("role", [Role.FOCAL_POINT, Role.EXPERT])
async def test_other_state_response_rejected_unforwarded(
    serve_gateway, tokens: LocalIssuer, role: Role
) -> None:
    # The questionnaire service is unreachable: a forwarded request gets 502.
    other = RESPONSE.replace(f"/{OWN_STATE}/", f"/{OTHER_STATE}/")
    async with (
        serve_gateway(questionnaire_url="http://127.0.0.1:9") as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        response = await client.put(
            other, headers=tokens.headers(role, OWN_STATE), json={}
        )
        own = await client.put(
            RESPONSE, headers=tokens.headers(role, OWN_STATE), json={}
        )

    body = response.json()
    assert response.status_code == 403
    assert body["field"] == "state"
    assert OTHER_STATE in body["detail"]
    assert own.status_code == 502


async def test_own_state_in_lower_case_forwarded(
    gateway: httpx.AsyncClient, tokens: LocalIssuer
) -> None:
    lower = RESPONSE.replace(f"/{OWN_STATE}/", f"/{OWN_STATE.lower()}/")
    other = RESPONSE.replace(f"/{OWN_STATE}/", f"/{OTHER_STATE.lower()}/")
    headers = tokens.headers(Role.EXPERT, OWN_STATE)

    own = await gateway.put(lower, headers=headers, json={})
    rejected = await gateway.put(other, headers=headers, json={})

    assert own.status_code == 200
    assert rejected.status_code == 403
    assert rejected.json()["detail"] == (
        f"an expert of {OWN_STATE} may not write the questionnaire responses "
        f"of {OTHER_STATE}"
    )


async def test_other_state_submit_rejected(
    gateway: httpx.AsyncClient, tokens: LocalIssuer
) -> None:
    other = RESPONSE.replace(f"/{OWN_STATE}/", f"/{OTHER_STATE}/")

    response = await gateway.post(
        f"{other}/submit", headers=tokens.headers(Role.FOCAL_POINT, OWN_STATE)
    )

    assert response.status_code == 403


@pytest.mark.parametrize("role", [Role.FOCAL_POINT, Role.EXPERT])
async def test_other_state_read_left_to_service(
    serve_gateway, tokens: LocalIssuer, role: Role
) -> None:
    # The questionnaire service decides whether a reviewing State may read:
    # the gateway forwards, so an unreachable service gives 502.
    other = RESPONSE.replace(f"/{OWN_STATE}/", f"/{OTHER_STATE}/")
    async with (
        serve_gateway(questionnaire_url="http://127.0.0.1:9") as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        response = await client.get(other, headers=tokens.headers(role, OWN_STATE))

    assert response.status_code == 502


async def test_secretariat_reaches_any_state(gateway: httpx.AsyncClient) -> None:
    other = RESPONSE.replace(f"/{OWN_STATE}/", f"/{OTHER_STATE}/")

    response = await gateway.get(other)

    assert response.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/draw/states",
        "/api/v1/events/counts",
        "/api/v1/dashboard",
        "/api/v1/review/reviews",
        "/api/v1/nowhere/at-all",
    ],
)
async def test_missing_token_is_401(gateway: httpx.AsyncClient, path: str) -> None:
    response = await gateway.get(path, headers={"Authorization": ""})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["code"] == "unauthorized"


async def test_missing_token_on_stream_is_401(gateway: httpx.AsyncClient) -> None:
    gateway.headers.pop("Authorization")

    response = await gateway.get("/api/v1/events")

    assert response.status_code == 401
    assert response.json()["detail"] == "the request carries no token"


async def test_malformed_header_is_401(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get(
        "/api/v1/draw/states", headers={"Authorization": "Basic dXNlcjpwYXNz"}
    )

    assert response.status_code == 401
    assert response.json()["field"] == "authorization"


async def test_expired_token_is_401(gateway: httpx.AsyncClient, tmp_path) -> None:
    expired = local_token(
        tmp_path,
        "secretariat-un@palermo.local",
        Role.SECRETARIAT,
        lifetime=dt.timedelta(seconds=-60),
    )

    response = await gateway.get("/api/v1/draw/states", headers=expired)

    assert response.status_code == 401
    assert response.json()["detail"] == "the token has expired"


async def test_token_of_other_key_is_401(gateway: httpx.AsyncClient, tmp_path) -> None:
    stranger = LocalIssuer.from_key_file(tmp_path / "other" / "signing-key.pem")

    response = await gateway.get(
        "/api/v1/draw/states", headers=stranger.headers(Role.SECRETARIAT)
    )

    assert response.status_code == 401
    assert "not valid" in response.json()["detail"]


@pytest.mark.parametrize("state", ["ZZZ", "ATL"])
async def test_state_outside_registry_is_401(
    gateway: httpx.AsyncClient, tmp_path, state: str
) -> None:
    # Signed directly, because issue_token rejects such a State itself.
    claims = {
        "sub": f"expert-{state.lower()}@palermo.local",
        "role": "expert",
        "state": state,
        "iss": "palermo",
        "aud": "palermo",
        "exp": dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5),
    }
    key = load_or_create_signing_key(tmp_path / "signing-key.pem")
    token = jwt.encode(claims, key, algorithm="EdDSA")

    response = await gateway.get(
        "/api/v1/draw/states", headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 401
    detail = response.json()["detail"]
    assert f"the token's State {state!r} is not a State in the registry" in detail
    assert "(claim 'state')" in detail


@pytest.mark.parametrize(
    "path",
    [
        "/healthz/live",
        "/healthz/ready",
        "/api/v1/draw/healthz/live",
        "/api/v1/asyncapi.json",
        "/dashboard",
    ],
)
async def test_public_path_needs_no_token(
    gateway: httpx.AsyncClient, path: str
) -> None:
    gateway.headers.pop("Authorization")

    response = await gateway.get(path)

    assert response.status_code == 200


async def test_query_token_accepted_on_stream(
    gateway: httpx.AsyncClient, tokens: LocalIssuer
) -> None:
    gateway.headers.pop("Authorization")
    token = tokens.token(Role.OBSERVER)

    async with gateway.stream(
        "GET", "/api/v1/events", params={"access_token": token}
    ) as response:
        status = response.status_code

    assert status == 200


async def test_query_token_ignored_elsewhere(
    gateway: httpx.AsyncClient, tokens: LocalIssuer
) -> None:
    gateway.headers.pop("Authorization")
    token = tokens.token(Role.SECRETARIAT)

    response = await gateway.get("/api/v1/draw/states", params={"access_token": token})

    assert response.status_code == 401


async def test_query_token_not_logged(
    gateway: httpx.AsyncClient,
    tokens: LocalIssuer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gateway.headers.pop("Authorization")
    token = tokens.token(Role.SECRETARIAT)

    with caplog.at_level("INFO"):
        async with gateway.stream(
            "GET",
            "/api/v1/events",
            params={"access_token": token, "history": "false"},
        ) as response:
            status = response.status_code

    # The test's own client (logger "httpx") logs the URL it sent.
    server_lines = "\n".join(
        record.getMessage() for record in caplog.records if record.name != "httpx"
    )
    assert status == 200
    assert token not in server_lines
    assert re.search(r"GET /api/v1/events\?history=false ", server_lines) is not None


@pytest.mark.parametrize(
    ("path", "with_header"),
    [
        ("/api/v1/events", True),
        ("/api/v1/events/", False),
        ("//api/v1/events", False),
        ("/api/v1/draw/states", True),
        ("/api/v1/healthz", False),
    ],
)
async def test_query_token_never_logged(
    gateway: httpx.AsyncClient,
    tokens: LocalIssuer,
    caplog: pytest.LogCaptureFixture,
    path: str,
    with_header: bool,
) -> None:
    token = tokens.token(Role.SECRETARIAT)
    if not with_header:
        gateway.headers.pop("Authorization")

    with caplog.at_level("INFO"):
        async with gateway.stream(
            "GET", path, params={"access_token": token, "x": "1"}
        ) as response:
            status = response.status_code

    server_lines = "\n".join(
        record.getMessage() for record in caplog.records if record.name != "httpx"
    )
    assert status != 500
    assert token not in server_lines
    assert "?x=1 HTTP/1.1" in server_lines


async def test_query_token_not_forwarded(
    gateway: httpx.AsyncClient, tokens: LocalIssuer
) -> None:
    token = tokens.token(Role.SECRETARIAT)

    response = await gateway.get(
        "/api/v1/draw/states", params={"access_token": token, "x": "1"}
    )

    assert response.status_code == 200
    assert response.json()["query"] == "x=1"


@pytest.mark.parametrize("method", ["OPTIONS", "TRACE", "PROPFIND"])
async def test_unrouted_method_not_allowed(
    gateway: httpx.AsyncClient, tokens: LocalIssuer, method: str
) -> None:
    headers = tokens.headers(Role.OBSERVER)

    response = await gateway.request(method, "/api/v1/accounts", headers=headers)

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, POST"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("POST", "/api/v1/events", "GET, HEAD"),
        ("DELETE", "/api/v1/events/counts", "GET, HEAD"),
        ("PUT", "/api/v1/dashboard", "GET, HEAD"),
        ("DELETE", "/api/v1/accounts", "GET, HEAD, POST"),
        ("PUT", "/api/v1/accounts/a1/end", "POST"),
    ],
)
@pytest.mark.parametrize("role", [Role.SECRETARIAT, Role.OBSERVER])
async def test_unlisted_write_not_allowed(
    gateway: httpx.AsyncClient,
    tokens: LocalIssuer,
    method: str,
    path: str,
    allow: str,
    role: Role,
) -> None:
    response = await gateway.request(method, path, headers=tokens.headers(role))

    assert response.status_code == 405
    assert response.headers["allow"] == allow
    body = response.json()
    assert body["code"] == "method_not_allowed"
    assert body["allowed"] == allow.split(", ")
    assert body["detail"] == (
        f"method {method} is not allowed on {path}, which serves {allow}"
    )


async def test_unknown_path_and_forbidden_role(
    gateway: httpx.AsyncClient, tokens: LocalIssuer
) -> None:
    unknown_read = await gateway.get("/api/v1/no-such-route")
    unlisted_write = await gateway.post("/api/v1/draw/no-such-route")
    forbidden_role = await gateway.post(
        "/api/v1/draw/phases", headers=tokens.headers(Role.EXPERT, OWN_STATE)
    )

    assert unknown_read.status_code == 404
    assert unlisted_write.status_code == 403
    assert forbidden_role.status_code == 403
    assert forbidden_role.json()["code"] == "forbidden"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/notify/contacts/"),
        ("POST", "/api/v1/draw/phases//seed-commitment"),
        ("PUT", "/api/v1/draw/states/KEN/"),
        ("GET", "/api/v1/draw/states/"),
    ],
)
async def test_empty_segment_not_found(
    gateway: httpx.AsyncClient, tokens: LocalIssuer, method: str, path: str
) -> None:
    response = await gateway.request(
        method, path, headers=tokens.headers(Role.SECRETARIAT), json={}
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert "contains '//'" in response.json()["detail"]


async def test_unrouted_method_needs_token(gateway: httpx.AsyncClient) -> None:
    response = await gateway.request(
        "OPTIONS", "/api/v1/draw/states/KEN", headers={"Authorization": ""}
    )

    assert response.status_code == 401


async def test_dot_segments_rejected(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get(
        "/api/v1/questionnaire/phases/p1/responses/KEN/%2E%2E/%2E%2E/overview"
    )

    assert response.status_code == 404
