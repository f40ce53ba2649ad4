"""Who may call the draw service: any verified caller reads, the Secretariat writes.

The drawing of lots is public to the States parties, so every role reads the
phases, draws and registry; only the Secretariat changes them.
"""

import hashlib

import pytest

from palermo_shared.auth import Role
from palermo_shared.contracts.draw import ReviewPhaseOpened
from palermo_shared.events import TOPIC_DRAW

STATE_ROLES = [(Role.FOCAL_POINT, "ITA"), (Role.EXPERT, "FRA"), (Role.OBSERVER, None)]


async def test_request_without_token_is_401(draw_service) -> None:
    response = await draw_service.client.get("/states", headers={"Authorization": ""})

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_forged_token_is_401(draw_service) -> None:
    headers = {"Authorization": "Bearer not.a.token"}

    response = await draw_service.client.get("/states", headers=headers)

    assert response.status_code == 401


@pytest.mark.parametrize(("role", "state"), STATE_ROLES)
async def test_other_roles_read_the_draw(
    draw_service, draw_phase, role: Role, state: str | None
) -> None:
    drawn = await draw_phase()
    headers = draw_service.tokens.headers(role, state)

    response = await draw_service.client.get(
        f"/phases/{drawn.phase_id}/draw", headers=headers
    )

    assert response.status_code == 200


@pytest.mark.parametrize(("role", "state"), STATE_ROLES)
async def test_other_roles_cannot_open_a_phase(
    draw_service, role: Role, state: str | None
) -> None:
    headers = draw_service.tokens.headers(role, state)

    response = await draw_service.client.post(
        "/phases", json={"years": "III-VI"}, headers=headers
    )
    phases = draw_service.events(TOPIC_DRAW, ReviewPhaseOpened.event_type)

    assert response.status_code == 403
    assert role.value in response.json()["detail"]
    assert phases == []


@pytest.mark.parametrize(("role", "state"), STATE_ROLES)
async def test_other_roles_cannot_draw(
    draw_service, open_phase, role: Role, state: str | None
) -> None:
    phase_id = await open_phase()
    client = draw_service.client
    digest = hashlib.sha256(b"seed").hexdigest()
    headers = draw_service.tokens.headers(role, state)

    commitment = await client.post(
        f"/phases/{phase_id}/seed-commitment",
        json={"seed_sha256": digest},
        headers=headers,
    )
    stored = await client.get(f"/phases/{phase_id}/seed-commitment")

    assert commitment.status_code == 403
    assert stored.status_code == 404


@pytest.mark.parametrize(("role", "state"), STATE_ROLES)
async def test_other_roles_cannot_change_the_registry(
    draw_service, role: Role, state: str | None
) -> None:
    client = draw_service.client
    before = (await client.get("/states/ITA")).json()
    headers = draw_service.tokens.headers(role, state)

    response = await client.put(
        "/states/ITA",
        json={"effective_date": "2025-01-01", "name": "Italy"},
        headers=headers,
    )
    after = (await client.get("/states/ITA")).json()

    assert response.status_code == 403
    assert after == before


async def test_anyone_verified_checks_a_record(draw_service, draw_phase) -> None:
    drawn = await draw_phase()
    client = draw_service.client
    record = (await client.get(f"/phases/{drawn.phase_id}/draw/record")).json()
    headers = draw_service.tokens.headers(Role.OBSERVER)

    response = await client.post("/verifications", json=record, headers=headers)

    assert response.status_code == 200
