"""Directory API: contacts of each State, including every bad input."""

import sqlite3

import pytest

import palermo_shared.db
from palermo_shared.bus.memory import MemoryBus

FOCAL_POINT = {
    "name": "Ana Pereira",
    "role": "focal_point",
    "state": "BRA",
    "email": "ana.pereira@gov.example.br",
    "language": "es",
    "channels": ["email"],
}


def _invalid_field(response):
    return response.json()["field"]


async def _contacts(service, **params):
    response = await service.client.get("/contacts", params=params)
    assert response.status_code == 200
    return response.json()


async def _create(service, **changes):
    response = await service.client.post("/contacts", json={**FOCAL_POINT, **changes})
    assert response.status_code == 201, response.text
    return response.json()


async def test_contact_created(service):
    contact = await _create(service)

    assert contact["state"] == "BRA"
    assert contact["role"] == "focal_point"
    assert contact["language"] == "es"
    assert contact["channels"] == ["email"]
    assert contact["active"] is True
    assert await _contacts(service) == [contact]


async def test_contact_defaults(service):
    body = {k: v for k, v in FOCAL_POINT.items() if k not in ("language", "channels")}

    response = await service.client.post("/contacts", json=body)

    assert response.status_code == 201
    assert response.json()["language"] == "en"
    assert response.json()["channels"] == ["email"]


async def test_contacts_filtered(service):
    await _create(service)
    expert = await _create(
        service, role="expert", state="FRA", email="expert@gov.example.fr"
    )

    by_state = await _contacts(service, state="FRA")
    by_role = await _contacts(service, role="expert")

    assert by_state == [expert]
    assert by_role == [expert]


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("zoe@例え.jp", "zoe@例え.jp"),
        ("Zoe@XN--R8JZ45G.JP", "zoe@例え.jp"),
        (" José@Exämple.org ", "josé@exämple.org"),
    ],
)
async def test_internationalized_email_stored_normalized(service, written, stored):
    contact = await _create(service, email=written)

    assert contact["email"] == stored


async def test_email_written_two_ways_conflicts(service):
    await _create(service, email="zoe@例え.jp")

    response = await service.client.post(
        "/contacts", json={**FOCAL_POINT, "email": "Zoe@xn--r8jz45g.jp"}
    )

    assert response.status_code == 409
    assert len(await _contacts(service)) == 1


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        ("zoe@例え", "It should have a period."),
        ("zoe@@例え.jp", "invalid characters: '@'"),
        ("zoe@-例え.jp", "hyphen"),
        ("zoe@palermo.local", "special-use or reserved name"),
    ],
)
async def test_malformed_email_rejected_with_reason(service, email, reason):
    response = await service.client.post(
        "/contacts", json={**FOCAL_POINT, "email": email}
    )

    assert response.status_code == 422
    [problem] = response.json()["problems"]
    assert problem["field"] == "email"
    assert problem["message"].startswith(f"invalid e-mail address {email!r}: ")
    assert reason in problem["message"]
    assert problem["message"].endswith(
        "Expected name@domain.example; the name and the domain may be in any script"
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"email": "ana@localhost"}, "email"),
        ({"email": "ana pereira@gov.example.br"}, "email"),
        ({"email": "a" * 250 + "@example.org"}, "email"),
        ({"state": "XXX"}, "state"),
        ({"state": "BR"}, "state"),
        ({"state": "bra"}, "state"),
        ({"state": " BRA"}, "state"),
        ({"language": "de"}, "language"),
        ({"language": "EN"}, "language"),
        ({"role": "minister"}, "role"),
        ({"channels": ["fax"]}, "channels.0"),
        ({"name": "   "}, "name"),
        ({"name": ""}, "name"),
        ({"name": "Ana\u0000Pereira"}, "name"),
        ({"email": "ana\u0000@gov.example.br"}, "email"),
        ({"active": False}, "active"),
        ({"id": "another-id"}, "id"),
    ],
)
async def test_contact_bad_input_rejected(service, changes, field):
    response = await service.client.post("/contacts", json={**FOCAL_POINT, **changes})

    assert response.status_code == 422
    assert _invalid_field(response) == field
    assert await _contacts(service) == []


@pytest.mark.parametrize("state", ["bra", "ZZZ"])
async def test_contact_state_checked_as_filter(service, state):
    created = await service.client.post(
        "/contacts", json={**FOCAL_POINT, "state": state}
    )
    listed = await service.client.get("/contacts", params={"state": state})

    assert created.status_code == 422
    assert created.json() == listed.json()
    assert created.json()["field"] == "state"
    [problem] = created.json()["problems"]
    assert problem["message"].startswith(f"unknown State {state!r}; expected")


async def test_contact_state_update_checked_as_filter(service):
    contact = await _create(service)

    updated = await service.client.patch(
        f"/contacts/{contact['id']}", json={"state": "fra"}
    )
    listed = await service.client.get("/contacts", params={"state": "fra"})

    assert updated.status_code == 422
    assert updated.json() == listed.json()
    assert await _contacts(service) == [contact]


async def test_contact_duplicate_conflicts(service):
    first = await _create(service)

    response = await service.client.post(
        "/contacts", json={**FOCAL_POINT, "name": "Someone Else"}
    )

    assert response.status_code == 409
    assert "BRA" in response.json()["detail"]
    assert await _contacts(service) == [first]


async def test_email_differing_in_case_conflicts(service):
    await _create(service)

    response = await service.client.post(
        "/contacts", json={**FOCAL_POINT, "email": FOCAL_POINT["email"].upper()}
    )

    assert response.status_code == 409
    assert len(await _contacts(service)) == 1


async def test_contact_email_stored_in_lower_case(service):
    contact = await _create(service, email="Ana.Pereira@Gov.Example.BR")

    assert contact["email"] == "ana.pereira@gov.example.br"


async def test_contact_without_channels_created(service):
    contact = await _create(service, channels=[])

    assert contact["channels"] == []


async def test_update_to_taken_email_conflicts(service):
    first = await _create(service)
    second = await _create(service, email="other@gov.example.br")

    response = await service.client.patch(
        f"/contacts/{second['id']}", json={"email": first["email"]}
    )

    assert response.status_code == 409
    assert first["email"] in response.json()["detail"]
    stored = await service.client.get(f"/contacts/{second['id']}")
    assert stored.json()["email"] == "other@gov.example.br"


async def test_contact_updated(service):
    contact = await _create(service)

    response = await service.client.patch(
        f"/contacts/{contact['id']}", json={"language": "fr", "role": "expert"}
    )

    assert response.status_code == 200
    updated = response.json()
    assert updated["language"] == "fr"
    assert updated["role"] == "expert"
    assert updated["email"] == contact["email"]
    assert await _contacts(service) == [updated]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "nowhere"}, "email"),
        ({"state": "ZZZ"}, "state"),
        ({"state": "fra"}, "state"),
        ({"language": "pt"}, "language"),
        ({"name": " ", "language": "fr"}, "name"),
        ({"email": None}, "email"),
        ({"active": None}, "active"),
        ({"active": "sometimes"}, "active"),
        ({"id": "another-id"}, "id"),
        ({"channels": ["sms"]}, "channels.0"),
        ({"role": "observer"}, "role"),
        ({"name": ""}, "name"),
    ],
)
async def test_contact_bad_update_rejected(service, changes, field):
    contact = await _create(service)

    response = await service.client.patch(f"/contacts/{contact['id']}", json=changes)

    assert response.status_code == 422
    assert _invalid_field(response) == field
    assert await _contacts(service) == [contact]


async def test_contact_update_unknown(service):
    response = await service.client.patch("/contacts/no-such-id", json={})

    assert response.status_code == 404
    assert "no-such-id" in response.json()["detail"]


async def test_contact_deactivated(service):
    contact = await _create(service)

    response = await service.client.post(f"/contacts/{contact['id']}/deactivate")

    assert response.status_code == 200
    assert response.json()["active"] is False
    assert await _contacts(service, active="true") == []
    assert len(await _contacts(service, active="false")) == 1


async def test_contact_deactivated_by_update(service):
    contact = await _create(service)

    response = await service.client.patch(
        f"/contacts/{contact['id']}", json={"active": False}
    )

    assert response.status_code == 200
    assert response.json()["active"] is False
    assert await _contacts(service, active="true") == []


async def test_contact_reactivated(service):
    contact = await _create(service)
    response = await service.client.post(f"/contacts/{contact['id']}/deactivate")
    assert response.status_code == 200

    response = await service.client.patch(
        f"/contacts/{contact['id']}", json={"active": True}
    )

    assert response.status_code == 200
    assert response.json()["active"] is True
    assert await _contacts(service, active="true") == [response.json()]


async def test_deactivated_contact_duplicate_conflicts(service):
    contact = await _create(service)
    await service.client.post(f"/contacts/{contact['id']}/deactivate")

    response = await service.client.post("/contacts", json=FOCAL_POINT)

    assert response.status_code == 409
    assert '{"active": true}' in response.json()["detail"]


async def test_contact_fetched(service):
    contact = await _create(service)

    response = await service.client.get(f"/contacts/{contact['id']}")

    assert response.status_code == 200
    assert response.json() == contact


async def test_contact_unknown(service):
    response = await service.client.get("/contacts/no-such-id")

    assert response.status_code == 404


@pytest.mark.sqlite_only
async def test_locked_database_unavailable(
    settings, start_service, monkeypatch
) -> None:
    # Another writer holds SQLite's write lock for longer than the busy timeout.
    monkeypatch.setattr(palermo_shared.db, "SQLITE_BUSY_TIMEOUT_SECONDS", 0.2)
    async with start_service(settings, MemoryBus()) as service:
        other_writer = sqlite3.connect(settings.data_dir / "notify.db")
        other_writer.execute("BEGIN IMMEDIATE")
        try:
            locked = await service.client.post("/contacts", json=FOCAL_POINT)
        finally:
            other_writer.rollback()
            other_writer.close()
        stored = await _contacts(service)
        retried = await service.client.post("/contacts", json=FOCAL_POINT)

    assert locked.status_code == 503
    assert locked.json()["code"] == "unavailable"
    assert "send it again" in locked.json()["detail"]
    assert locked.headers["retry-after"] == "5"
    assert stored == []
    assert retried.status_code == 201
