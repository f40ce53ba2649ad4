"""Accounts through the real gateway: invitations, activation, ends, access."""

import asyncio
import contextlib
import datetime as dt
import json
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from palermo_gateway.main import create_app
from palermo_gateway.settings import GatewaySettings
from palermo_shared.auth import (
    LocalIssuer,
    Role,
    load_or_create_signing_key,
)
from palermo_shared.bus.memory import MemoryBus
from palermo_shared.contracts import AccountInvited
from palermo_shared.db import create_engine
from palermo_shared.events import TOPIC_GATEWAY, decode
from palermo_shared.serve import server_config
from tests.support.tokens import local_token

ITA_RESPONSE = (
    "/api/v1/questionnaire/phases/p1/responses/ITA/convention/criminalization"
)


@dataclass
class Gateway:
    client: httpx.AsyncClient
    bus: MemoryBus
    tokens: LocalIssuer
    data_dir: Path

    async def register(self, **fields: Any) -> dict[str, Any]:
        body = {"name": "Ana Rossi", "email": "ana@example.org", **fields}
        response = await self.client.post("/api/v1/accounts", json=body)
        assert response.status_code == 201, response.text
        registered: dict[str, Any] = response.json()
        return registered

    async def code_for(self, account_id: str) -> str:
        """Return the activation code that the invitation event carries."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            for delivery in self.bus.log(TOPIC_GATEWAY):
                envelope = decode(delivery.value)
                if envelope.type != AccountInvited.event_type:
                    continue
                if envelope.data["account_id"] == account_id:
                    return urlsplit(
                        envelope.data["activation_url"]
                    ).fragment.removeprefix("code=")
            await asyncio.sleep(0.02)
        raise AssertionError(f"no invitation published for account {account_id}")

    async def activate(self, code: str) -> httpx.Response:
        """Send the code as the invited person would, without any token."""
        async with httpx.AsyncClient(base_url=self.client.base_url) as anonymous:
            return await anonymous.post(
                "/api/v1/accounts/activations", json={"code": code}
            )

    async def invite_and_activate(self, **fields: Any) -> tuple[str, dict[str, str]]:
        """Register and activate an account; return its id and token header."""
        account_id = (await self.register(**fields))["account"]["id"]
        response = await self.activate(await self.code_for(account_id))
        assert response.status_code == 201, response.text
        return account_id, {
            "Authorization": f"Bearer {response.json()['access_token']}"
        }

    async def stored(self) -> dict[str, list[tuple[Any, ...]]]:
        """Return every row of the account tables, read directly from the database."""
        engine = create_engine(f"sqlite+aiosqlite:///{self.data_dir / 'gateway'}.db")
        try:
            async with engine.connect() as connection:
                return {
                    table: [
                        tuple(row)
                        for row in await connection.execute(
                            text(f"SELECT * FROM {table} ORDER BY id")
                        )
                    ]
                    for table in ("account", "invitation")
                }
        finally:
            await engine.dispose()


@contextlib.asynccontextmanager
async def serve(settings: GatewaySettings, bus: MemoryBus) -> AsyncIterator[str]:
    async with serve_app(create_app(settings, bus)) as url:
        yield url


@contextlib.asynccontextmanager
async def serve_app(app: Any) -> AsyncIterator[str]:
    """Serve `app` with uvicorn on a loopback port until the block ends."""
    port = _free_port()
    server = uvicorn.Server(server_config(app, host="127.0.0.1", port=port))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _gateway(
    tmp_path: Path, upstream_url: str, **overrides: Any
) -> AsyncIterator[Gateway]:
    settings = GatewaySettings(
        data_dir=tmp_path,
        draw_url=upstream_url,
        questionnaire_url=upstream_url,
        review_url=upstream_url,
        notify_url=upstream_url,
        **overrides,
    )
    bus = MemoryBus()
    tokens = LocalIssuer.from_key_file(tmp_path / "signing-key.pem")
    async with (
        serve(settings, bus) as url,
        httpx.AsyncClient(
            base_url=url, timeout=10, headers=tokens.headers(Role.SECRETARIAT)
        ) as client,
    ):
        yield Gateway(client, bus, tokens, tmp_path)


@pytest.fixture
async def gateway_with_accounts(
    tmp_path: Path, upstream: Any
) -> AsyncIterator[Gateway]:
    async for gateway in _gateway(tmp_path, upstream.url):
        yield gateway


@pytest.fixture
async def expiring_gateway(tmp_path: Path, upstream: Any) -> AsyncIterator[Gateway]:
    """A gateway whose invitations expire a few milliseconds after they are made."""
    lifetime_days = 0.05 / 86_400
    async for gateway in _gateway(
        tmp_path, upstream.url, invitation_lifetime_days=lifetime_days
    ):
        yield gateway


async def test_registration_invites_with_code(
    gateway_with_accounts: Gateway,
) -> None:
    registered = await gateway_with_accounts.register(
        role="focal_point", state="ITA", language="fr"
    )

    account_id = registered["account"]["id"]
    code = await gateway_with_accounts.code_for(account_id)
    stored = await gateway_with_accounts.stored()
    assert registered["account"]["status"] == "invited"
    assert registered["account"]["created_by"] == "secretariat-un@palermo.local"
    assert "code" not in registered["invitation"]
    assert len(code) >= 40
    assert all(code not in str(row) for row in stored["invitation"])


async def test_invitation_expires_after_ten_days(
    gateway_with_accounts: Gateway,
) -> None:
    before = dt.datetime.now(dt.UTC)

    registered = await gateway_with_accounts.register(role="expert", state="ITA")

    expires_at = dt.datetime.fromisoformat(registered["invitation"]["expires_at"])
    assert before + dt.timedelta(days=10) <= expires_at
    assert expires_at <= dt.datetime.now(dt.UTC) + dt.timedelta(days=10)


async def test_activation_returns_working_token(
    gateway_with_accounts: Gateway,
) -> None:
    account_id, headers = await gateway_with_accounts.invite_and_activate(
        role="focal_point", state="ITA"
    )

    me = await gateway_with_accounts.client.get("/api/v1/accounts/me", headers=headers)
    write = await gateway_with_accounts.client.put(ITA_RESPONSE, headers=headers)
    assert me.json()["id"] == account_id
    assert me.json()["status"] == "active"
    assert write.status_code == 200


async def test_used_code_rejected(gateway_with_accounts: Gateway) -> None:
    registered = await gateway_with_accounts.register(role="expert", state="ITA")
    code = await gateway_with_accounts.code_for(registered["account"]["id"])
    assert (await gateway_with_accounts.activate(code)).status_code == 201
    before = await gateway_with_accounts.stored()

    again = await gateway_with_accounts.activate(code)

    assert again.status_code == 409
    assert "already used" in again.json()["detail"]
    assert again.json()["field"] == "code"
    assert await gateway_with_accounts.stored() == before


async def test_expired_code_rejected(expiring_gateway: Gateway) -> None:
    registered = await expiring_gateway.register(role="expert", state="ITA")
    code = await expiring_gateway.code_for(registered["account"]["id"])
    await asyncio.sleep(0.1)
    before = await expiring_gateway.stored()

    response = await expiring_gateway.activate(code)

    assert response.status_code == 409
    assert "expired" in response.json()["detail"]
    assert await expiring_gateway.stored() == before


async def test_unknown_code_rejected(gateway_with_accounts: Gateway) -> None:
    await gateway_with_accounts.register(role="expert", state="ITA")
    before = await gateway_with_accounts.stored()

    response = await gateway_with_accounts.activate("not-a-code")

    assert response.status_code == 404
    assert response.json()["field"] == "code"
    assert await gateway_with_accounts.stored() == before


async def test_new_focal_point_ends_previous(gateway_with_accounts: Gateway) -> None:
    first_id, _first = await gateway_with_accounts.invite_and_activate(
        role="focal_point", state="ITA"
    )

    second = await gateway_with_accounts.register(
        role="focal_point", state="ITA", email="bruno@example.org"
    )

    ended = await gateway_with_accounts.client.get(f"/api/v1/accounts/{first_id}")
    assert ended.json()["status"] == "ended"
    assert ended.json()["end_reason"] == "replaced"
    assert ended.json()["ended_by"] == "secretariat-un@palermo.local"
    assert ended.json()["ended_at"] is not None
    assert second["account"]["status"] == "invited"


async def test_concurrent_focal_points_leave_one(
    gateway_with_accounts: Gateway,
) -> None:
    async def register(number: int) -> int:
        response = await gateway_with_accounts.client.post(
            "/api/v1/accounts",
            json={
                "name": f"Focal point {number}",
                "email": f"fp{number}@example.org",
                "role": "focal_point",
                "state": "ITA",
            },
        )
        return response.status_code

    statuses = await asyncio.gather(*(register(n) for n in range(10)))
    listed = await gateway_with_accounts.client.get(
        "/api/v1/accounts", params={"state": "ITA"}
    )

    current = [a for a in listed.json() if a["status"] != "ended"]
    assert set(statuses) <= {201, 409}
    assert len(current) == 1
    assert len(listed.json()) == statuses.count(201)


async def test_ended_account_token_rejected(gateway_with_accounts: Gateway) -> None:
    _first_id, first = await gateway_with_accounts.invite_and_activate(
        role="focal_point", state="ITA"
    )
    await gateway_with_accounts.register(
        role="focal_point", state="ITA", email="bruno@example.org"
    )
    before = await gateway_with_accounts.stored()

    write = await gateway_with_accounts.client.put(ITA_RESPONSE, headers=first)
    read = await gateway_with_accounts.client.get("/api/v1/accounts/me", headers=first)

    assert write.status_code == 403
    assert "was ended" in write.json()["detail"]
    assert read.status_code == 200
    assert await gateway_with_accounts.stored() == before


async def test_ended_account_cannot_activate(gateway_with_accounts: Gateway) -> None:
    first = await gateway_with_accounts.register(role="focal_point", state="ITA")
    code = await gateway_with_accounts.code_for(first["account"]["id"])
    await gateway_with_accounts.register(
        role="focal_point", state="ITA", email="bruno@example.org"
    )
    before = await gateway_with_accounts.stored()

    response = await gateway_with_accounts.activate(code)

    assert response.status_code == 409
    assert "ended before activation" in response.json()["detail"]
    assert await gateway_with_accounts.stored() == before


async def test_secretariat_ends_account(gateway_with_accounts: Gateway) -> None:
    account_id, headers = await gateway_with_accounts.invite_and_activate(
        role="expert", state="BRA"
    )

    ended = await gateway_with_accounts.client.post(
        f"/api/v1/accounts/{account_id}/end"
    )
    write = await gateway_with_accounts.client.post(
        "/api/v1/review/reviews/r1/observations", headers=headers
    )

    assert ended.json()["end_reason"] == "ended"
    assert write.status_code == 403


async def test_ending_twice_rejected(gateway_with_accounts: Gateway) -> None:
    account_id = (await gateway_with_accounts.register(role="observer"))["account"][
        "id"
    ]
    await gateway_with_accounts.client.post(f"/api/v1/accounts/{account_id}/end")
    before = await gateway_with_accounts.stored()

    again = await gateway_with_accounts.client.post(
        f"/api/v1/accounts/{account_id}/end"
    )

    assert again.status_code == 409
    assert await gateway_with_accounts.stored() == before


async def test_unknown_subject_rejected(gateway_with_accounts: Gateway) -> None:
    headers = local_token(
        gateway_with_accounts.data_dir, "someone@example.org", Role.FOCAL_POINT, "ITA"
    )

    response = await gateway_with_accounts.client.put(ITA_RESPONSE, headers=headers)

    assert response.status_code == 403
    assert "no account is registered" in response.json()["detail"]


async def test_local_development_identity_accepted(
    gateway_with_accounts: Gateway,
) -> None:
    headers = gateway_with_accounts.tokens.headers(Role.FOCAL_POINT, "ITA")

    response = await gateway_with_accounts.client.put(ITA_RESPONSE, headers=headers)

    assert response.status_code == 200


async def test_development_identity_in_any_case(
    gateway_with_accounts: Gateway,
) -> None:
    subject = "Focal_Point-ITA@Palermo.Local"
    headers = local_token(
        gateway_with_accounts.data_dir, subject, Role.FOCAL_POINT, "ITA"
    )

    response = await gateway_with_accounts.client.put(ITA_RESPONSE, headers=headers)

    assert response.status_code == 200


async def test_bootstrap_secretariat_token_registers(
    gateway_with_accounts: Gateway,
) -> None:
    headers = local_token(
        gateway_with_accounts.data_dir, "ops@unodc.example", Role.SECRETARIAT
    )

    response = await gateway_with_accounts.client.post(
        "/api/v1/accounts",
        json={"name": "Sam", "email": "sam@unodc.example", "role": "secretariat"},
        headers=headers,
    )

    assert response.status_code == 201
    assert response.json()["account"]["created_by"] == "ops@unodc.example"


@pytest.mark.parametrize(
    ("subject", "reason"),
    [("a" * 201, "201 characters"), ("ops\x00@unodc.example", "U+0000")],
)
async def test_unstorable_subject_rejected(
    gateway_with_accounts: Gateway, subject: str, reason: str
) -> None:
    """A subject that no table could store gets 401, not a database error."""
    key = load_or_create_signing_key(gateway_with_accounts.data_dir / "signing-key.pem")
    claims = {
        "sub": subject,
        "role": "secretariat",
        "iss": "palermo",
        "aud": "palermo",
        "exp": dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5),
    }
    token = jwt.encode(claims, key, algorithm="EdDSA")

    response = await gateway_with_accounts.client.post(
        "/api/v1/accounts",
        json={"name": "Sam", "email": "sam@unodc.example", "role": "secretariat"},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 401, response.text
    assert reason in response.json()["detail"]


async def test_observer_is_read_only(gateway_with_accounts: Gateway) -> None:
    _account_id, headers = await gateway_with_accounts.invite_and_activate(
        role="observer"
    )
    before = await gateway_with_accounts.stored()

    write = await gateway_with_accounts.client.post(
        "/api/v1/draw/verifications", headers=headers
    )
    me = await gateway_with_accounts.client.get("/api/v1/accounts/me", headers=headers)

    assert write.status_code == 403
    assert me.status_code == 200
    assert await gateway_with_accounts.stored() == before


async def test_only_secretariat_registers(gateway_with_accounts: Gateway) -> None:
    _account_id, headers = await gateway_with_accounts.invite_and_activate(
        role="focal_point", state="ITA"
    )
    before = await gateway_with_accounts.stored()

    response = await gateway_with_accounts.client.post(
        "/api/v1/accounts",
        json={
            "name": "Eve",
            "email": "eve@example.org",
            "role": "expert",
            "state": "ITA",
        },
        headers=headers,
    )

    assert response.status_code == 403
    assert await gateway_with_accounts.stored() == before


@pytest.mark.parametrize("written", ["zoe@例え.jp", "Zoe@XN--R8JZ45G.jp"])
async def test_internationalized_email_registered(
    gateway_with_accounts: Gateway, written: str
) -> None:
    registered = await gateway_with_accounts.register(
        email=written, role="expert", state="ITA"
    )

    assert registered["account"]["email"] == "zoe@例え.jp"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"role": "focal_point"}, "state"),
        ({"role": "observer", "state": "ITA"}, "state"),
        ({"role": "expert", "state": "XXX"}, "state"),
        ({"role": "expert", "state": "ITA", "email": "not an address"}, "email"),
        ({"role": "expert", "state": "ITA", "name": "   "}, "name"),
        ({"role": "expert", "state": "ITA", "langauge": "fr"}, "langauge"),
    ],
)
async def test_invalid_registration_names_field(
    gateway_with_accounts: Gateway, fields: dict[str, str], field: str
) -> None:
    before = await gateway_with_accounts.stored()

    response = await gateway_with_accounts.client.post(
        "/api/v1/accounts",
        json={"name": "Ana", "email": "ana@example.org", **fields},
    )

    assert response.status_code == 422
    assert response.json()["field"] == field
    assert await gateway_with_accounts.stored() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Ana\x00Rossi"),
        ("name", "Ana\nRossi"),
        ("email", "ana\x00@example.org"),
    ],
)
async def test_control_character_in_registration_rejected(
    gateway_with_accounts: Gateway, field: str, value: str
) -> None:
    before = await gateway_with_accounts.stored()
    body = {"name": "Ana", "email": "ana@example.org", "role": "expert", "state": "ITA"}

    response = await gateway_with_accounts.client.post(
        "/api/v1/accounts", json={**body, field: value}
    )

    [problem] = response.json()["problems"]
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert "invalid control character" in problem["message"]
    assert await gateway_with_accounts.stored() == before


async def test_control_character_in_account_path_rejected(
    gateway_with_accounts: Gateway,
) -> None:
    before = await gateway_with_accounts.stored()

    response = await gateway_with_accounts.client.post("/api/v1/accounts/a%00b/end")

    assert response.status_code == 422
    assert response.json()["field"] == "path"
    assert await gateway_with_accounts.stored() == before


async def test_control_character_in_state_filter_rejected(
    gateway_with_accounts: Gateway,
) -> None:
    listed = await gateway_with_accounts.client.get(
        "/api/v1/accounts", params={"state": "IT\x00"}
    )

    assert listed.status_code == 422
    assert listed.json()["field"] == "state"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"role": "observer", "state": "ITA"}, "an observer acts for no State"),
        ({"role": "focal_point"}, "a focal point acts for a State"),
    ],
)
async def test_registration_message_names_role(
    gateway_with_accounts: Gateway, fields: dict[str, str], message: str
) -> None:
    response = await gateway_with_accounts.client.post(
        "/api/v1/accounts",
        json={"name": "Ana", "email": "ana@example.org", **fields},
    )

    assert response.json()["detail"].startswith(message)


async def test_secretariat_lists_one_state(gateway_with_accounts: Gateway) -> None:
    await gateway_with_accounts.register(role="focal_point", state="ITA")
    await gateway_with_accounts.register(role="expert", state="BRA")

    listed = await gateway_with_accounts.client.get(
        "/api/v1/accounts", params={"state": "ITA"}
    )

    assert [a["state"] for a in listed.json()] == ["ITA"]


@pytest.mark.parametrize("state", ["zzz", "ita", "ZZZ", "IT"])
async def test_unknown_state_filter_invalid(
    gateway_with_accounts: Gateway, state: str
) -> None:
    listed = await gateway_with_accounts.client.get(
        "/api/v1/accounts", params={"state": state}
    )

    assert listed.status_code == 422
    assert listed.json()["field"] == "state"
    [problem] = listed.json()["problems"]
    assert problem["message"].startswith(f"unknown State {state!r}; expected")


@pytest.mark.parametrize("state", ["ita", "ZZZ", "IT"])
async def test_registration_state_checked_as_filter(
    gateway_with_accounts: Gateway, state: str
) -> None:
    before = await gateway_with_accounts.stored()
    body = {"name": "Ana", "email": "ana@example.org", "role": "expert"}

    registered = await gateway_with_accounts.client.post(
        "/api/v1/accounts", json={**body, "state": state}
    )
    listed = await gateway_with_accounts.client.get(
        "/api/v1/accounts", params={"state": state}
    )

    assert registered.status_code == 422
    assert registered.json() == listed.json()
    assert await gateway_with_accounts.stored() == before


async def test_others_cannot_list_accounts(gateway_with_accounts: Gateway) -> None:
    _account_id, headers = await gateway_with_accounts.invite_and_activate(
        role="expert", state="ITA"
    )

    listed = await gateway_with_accounts.client.get(
        "/api/v1/accounts", params={"state": "ITA"}, headers=headers
    )

    assert listed.status_code == 403


async def test_stream_never_shows_invitations(
    gateway_with_accounts: Gateway,
) -> None:
    await gateway_with_accounts.invite_and_activate(role="expert", state="ITA")

    counts: dict[str, int] = {}
    deadline = time.monotonic() + 5
    while "palermo.gateway.account_activated" not in counts:
        assert time.monotonic() < deadline, counts
        await asyncio.sleep(0.05)
        response = await gateway_with_accounts.client.get("/api/v1/events/counts")
        counts = response.json()

    assert AccountInvited.event_type not in counts


class Provider:
    """An OIDC provider's signing key, published as a JWKS on loopback."""

    key_id = "provider-key-1"

    def __init__(self) -> None:
        self._key = Ed25519PrivateKey.generate()

    def app(self) -> Starlette:
        jwk = json.loads(OKPAlgorithm.to_jwk(self._key.public_key()))
        key_set = {"keys": [{**jwk, "kid": self.key_id, "use": "sig"}]}

        async def jwks(_request: Request) -> JSONResponse:
            return JSONResponse(key_set)

        return Starlette(routes=[Route("/jwks", jwks)])

    def headers(
        self, subject: str, role: Role, state: str | None = None
    ) -> dict[str, str]:
        now = dt.datetime.now(dt.UTC)
        claims = {
            "sub": subject,
            "role": role.value,
            "iss": "palermo",
            "aud": "palermo",
            "iat": now,
            "exp": now + dt.timedelta(hours=1),
        }
        if state is not None:
            claims["state"] = state
        token = jwt.encode(
            claims, self._key, algorithm="EdDSA", headers={"kid": self.key_id}
        )
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def provider_gateway(
    tmp_path: Path, upstream: Any
) -> AsyncIterator[tuple[Gateway, Provider]]:
    """A gateway that verifies tokens with a provider's JWKS; one bootstrap subject."""
    provider = Provider()
    async with serve_app(provider.app()) as provider_url:
        async for gateway in _gateway(
            tmp_path,
            upstream.url,
            auth_jwks_url=f"{provider_url}/jwks",
            accounts_bootstrap_subjects=["head@unodc.example"],
        ):
            gateway.client.headers.update(
                provider.headers("head@unodc.example", Role.SECRETARIAT)
            )
            yield gateway, provider


async def activate_with(
    gateway: Gateway, code: str, headers: dict[str, str]
) -> httpx.Response:
    return await gateway.client.post(
        "/api/v1/accounts/activations", json={"code": code}, headers=headers
    )


async def test_provider_activation_binds_subject(
    provider_gateway: tuple[Gateway, Provider],
) -> None:
    gateway, provider = provider_gateway
    registered = await gateway.register(role="focal_point", state="ITA")
    code = await gateway.code_for(registered["account"]["id"])
    ana = provider.headers("ana@gov.example.it", Role.FOCAL_POINT, "ITA")

    activated = await activate_with(gateway, code, ana)
    write = await gateway.client.put(ITA_RESPONSE, headers=ana)

    assert activated.status_code == 201
    assert activated.json()["access_token"] is None
    assert activated.json()["account"]["status"] == "active"
    assert write.status_code == 200


async def test_provider_activation_checks_role(
    provider_gateway: tuple[Gateway, Provider],
) -> None:
    gateway, provider = provider_gateway
    registered = await gateway.register(role="focal_point", state="ITA")
    code = await gateway.code_for(registered["account"]["id"])
    before = await gateway.stored()

    response = await activate_with(
        gateway, code, provider.headers("ana@gov.example.it", Role.EXPERT, "ITA")
    )

    assert response.status_code == 403
    assert "its account is focal_point of ITA" in response.json()["detail"]
    assert await gateway.stored() == before


async def test_provider_secretariat_needs_account(
    provider_gateway: tuple[Gateway, Provider],
) -> None:
    gateway, provider = provider_gateway
    before = await gateway.stored()

    response = await gateway.client.post(
        "/api/v1/accounts",
        json={"name": "Eve", "email": "eve@example.org", "role": "observer"},
        headers=provider.headers("eve@unodc.example", Role.SECRETARIAT),
    )

    assert response.status_code == 403
    assert await gateway.stored() == before


async def test_provider_development_identity_rejected(
    provider_gateway: tuple[Gateway, Provider],
) -> None:
    gateway, provider = provider_gateway
    subject = LocalIssuer.subject(Role.FOCAL_POINT, "ITA")

    response = await gateway.client.put(
        ITA_RESPONSE, headers=provider.headers(subject, Role.FOCAL_POINT, "ITA")
    )

    assert response.status_code == 403
    assert "no account is registered" in response.json()["detail"]
