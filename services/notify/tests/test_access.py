"""Who may see notifications and administer contacts and subscriptions."""

import pytest

from palermo_shared.auth import LocalIssuer, Role

SUBSCRIPTION = {"state": "ITA", "url": "https://receiver.example.org/hook"}
CONTACT = {
    "state": "ITA",
    "name": "Ana Rossi",
    "email": "ana@example.org",
    "role": "focal_point",
    "language": "en",
}


@pytest.fixture
def tokens(settings) -> LocalIssuer:
    return LocalIssuer.from_key_file(settings.signing_key_path())


@pytest.fixture
async def notified(service, events) -> list[dict]:
    """Inbox notices to ITA and its reviewers FRA and BRA that ITA's review started."""
    await service.publish(events.desk_review_started())
    return await service.wait_for_notifications(3, channel="inbox")


async def test_state_lists_only_its_own(service, notified, tokens) -> None:
    headers = tokens.headers(Role.FOCAL_POINT, "FRA")

    response = await service.client.get("/notifications", headers=headers)
    states = {n["recipient_state"] for n in response.json()["items"]}

    assert response.status_code == 200
    assert states == {"FRA"}


async def test_state_cannot_list_another(service, notified, tokens) -> None:
    headers = tokens.headers(Role.EXPERT, "FRA")

    response = await service.client.get(
        "/notifications", params={"state": "ITA"}, headers=headers
    )

    assert response.status_code == 403


async def test_state_cannot_read_anothers(service, notified, tokens) -> None:
    [for_italy] = [n for n in notified if n["recipient_state"] == "ITA"]
    headers = tokens.headers(Role.FOCAL_POINT, "FRA")

    response = await service.client.get(
        f"/notifications/{for_italy['id']}", headers=headers
    )

    assert response.status_code == 403
    assert "ITA" not in response.text


async def test_state_reads_its_own(service, notified, tokens) -> None:
    [for_italy] = [n for n in notified if n["recipient_state"] == "ITA"]
    headers = tokens.headers(Role.FOCAL_POINT, "ITA")

    response = await service.client.get(
        f"/notifications/{for_italy['id']}", headers=headers
    )

    assert response.status_code == 200


async def test_observer_sees_no_notification(service, notified, tokens) -> None:
    headers = tokens.headers(Role.OBSERVER)

    response = await service.client.get("/notifications", headers=headers)

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("role", "state"), [(Role.FOCAL_POINT, "ITA"), (Role.OBSERVER, None)]
)
async def test_only_secretariat_subscribes(service, tokens, role, state) -> None:
    headers = tokens.headers(role, state)

    created = await service.client.post(
        "/subscriptions", json=SUBSCRIPTION, headers=headers
    )
    stored = await service.client.get("/subscriptions")

    assert created.status_code == 403
    assert stored.json() == []


@pytest.mark.parametrize(
    ("role", "state"), [(Role.FOCAL_POINT, "ITA"), (Role.EXPERT, "ITA")]
)
async def test_only_secretariat_manages_contacts(service, tokens, role, state) -> None:
    headers = tokens.headers(role, state)

    created = await service.client.post("/contacts", json=CONTACT, headers=headers)
    listed = await service.client.get("/contacts", headers=headers)
    stored = await service.client.get("/contacts")

    assert created.status_code == 403
    assert listed.status_code == 403
    assert stored.json() == []


async def test_anyone_verified_reads_the_rules(service, tokens) -> None:
    headers = tokens.headers(Role.OBSERVER)

    response = await service.client.get("/rules", headers=headers)

    assert response.status_code == 200


async def test_request_without_token_is_401(service) -> None:
    response = await service.client.get("/rules", headers={"Authorization": ""})

    assert response.status_code == 401
