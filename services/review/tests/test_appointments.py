"""Appointing experts: a subject known to act for another State or in
another role is rejected, from its development identity or from the
gateway's account events. Other subjects are appointed as before."""

import datetime as dt

from palermo_shared.contracts import AccountActivated, AccountEnded
from palermo_shared.events import EventPayload

ACTIVATED_AT = dt.datetime(2026, 1, 2, 9, 0, tzinfo=dt.UTC)
ENDED_AT = dt.datetime(2026, 1, 3, 9, 0, tzinfo=dt.UTC)


def activated(account_id: str, role: str, state: str | None) -> AccountActivated:
    return AccountActivated(
        account_id=account_id, role=role, state=state, activated_at=ACTIVATED_AT
    )


def ended(account_id: str, role: str, state: str | None) -> AccountEnded:
    return AccountEnded(
        account_id=account_id,
        role=role,
        state=state,
        ended_by="secretariat-un@palermo.local",
        reason="ended",
        ended_at=ENDED_AT,
    )


async def appoint(service, state: str, subject: str):
    body = {
        "review_ids": [service.review_id()],
        "subject": subject,
        "name": "Ana Pérez",
        "email": "ana.perez@example.org",
        "languages": ["es", "en"],
        "expertise": "Mutual legal assistance",
    }
    return await service.client.post(
        "/experts", json=body, headers=service.focal_point(state)
    )


async def publish_accounts(service, *payloads: EventPayload) -> None:
    """Publish account events after the two review inputs, and wait for them."""
    for payload in payloads:
        await service.publish(payload)
    await service.wait_for_handled(2 + len(payloads))


async def appointed_subjects(service) -> list[tuple[str, str]]:
    response = await service.client.get(
        service.url("/experts"), headers=service.secretariat
    )
    assert response.status_code == 200, response.text
    return [(expert["state"], expert["subject"]) for expert in response.json()]


async def test_identity_of_other_state_rejected(service, started_review) -> None:
    await service.name_focal_points()

    rejected = await appoint(service, "FRA", "expert-bra@palermo.local")
    appointed = await service.appoint_expert("BRA")

    assert rejected.status_code == 422
    assert rejected.json() == {
        "detail": "cannot appoint expert-bra@palermo.local as an expert of FRA, "
        "because it is an expert of BRA",
        "code": "invalid",
        "field": "subject",
    }
    assert appointed.status_code == 201
    assert await appointed_subjects(service) == [("BRA", "expert-bra@palermo.local")]


async def test_identity_outside_review_rejected(service, started_review) -> None:
    await service.name_focal_points()

    response = await appoint(service, "ITA", "Expert-ESP@palermo.local")

    assert response.status_code == 422
    assert "Expert-ESP@palermo.local" in response.json()["detail"]
    assert "an expert of ESP" in response.json()["detail"]
    assert await appointed_subjects(service) == []


async def test_identity_in_other_role_rejected(service, started_review) -> None:
    await service.name_focal_points()

    focal_point = await appoint(service, "FRA", "focal_point-fra@palermo.local")
    secretariat = await appoint(service, "FRA", "secretariat-un@palermo.local")

    assert focal_point.status_code == 422
    assert focal_point.json()["detail"].endswith("it is a focal point of FRA")
    assert secretariat.status_code == 422
    assert secretariat.json()["detail"].endswith(
        "it has the role secretariat, which acts for no State"
    )


async def test_account_of_other_state_rejected(service, started_review) -> None:
    await service.name_focal_points()
    await publish_accounts(
        service,
        activated("a-bra", "expert", "BRA"),
        activated("a-fra", "expert", "FRA"),
    )

    rejected = await appoint(service, "FRA", "account-a-bra")
    appointed = await appoint(service, "FRA", "account-a-fra")

    assert rejected.status_code == 422
    assert rejected.json()["detail"] == (
        "cannot appoint account-a-bra as an expert of FRA, "
        "because it is an expert of BRA"
    )
    assert appointed.status_code == 201, appointed.text
    assert await appointed_subjects(service) == [("FRA", "account-a-fra")]


async def test_account_in_other_role_rejected(service, started_review) -> None:
    await service.name_focal_points()
    await publish_accounts(
        service,
        activated("a-fp", "focal_point", "FRA"),
        activated("a-obs", "observer", None),
    )

    focal_point = await appoint(service, "FRA", "account-a-fp")
    observer = await appoint(service, "FRA", "account-a-obs")

    assert focal_point.status_code == 422
    assert focal_point.json()["detail"].endswith("it is a focal point of FRA")
    assert observer.status_code == 422
    assert observer.json()["detail"].endswith(
        "it has the role observer, which acts for no State"
    )


async def test_ended_account_rejected(service, started_review) -> None:
    await service.name_focal_points()
    await publish_accounts(
        service, activated("a-old", "expert", "FRA"), ended("a-old", "expert", "FRA")
    )

    response = await appoint(service, "FRA", "account-a-old")

    assert response.status_code == 422
    assert response.json()["detail"].endswith(
        "its account was ended on 2026-01-03T09:00:00+00:00"
    )


async def test_end_survives_replayed_activation(service, started_review) -> None:
    # In one batch, the activation finds the row that the end added, unflushed.
    await service.name_focal_points()
    await service.publish_together(
        ended("a-old", "expert", "FRA"), activated("a-old", "expert", "FRA")
    )
    await service.wait_for_handled(4)

    response = await appoint(service, "FRA", "account-a-old")

    assert response.status_code == 422
    assert "ended" in response.json()["detail"]


async def test_unplaced_subjects_appointed(service, started_review) -> None:
    await service.name_focal_points()

    for subject in (
        "ana.perez@example.org",
        "account-unknown",
        "expert-un@palermo.local",
    ):
        response = await appoint(service, "FRA", subject)

        assert response.status_code == 201, (subject, response.text)


async def test_focal_point_of_other_state_rejected(service, started_review) -> None:
    person = {"subject": "focal_point-bra@palermo.local", "name": "Ana Pérez"}
    person["email"] = "ana.perez@example.org"

    on_review = await service.client.put(
        service.url("/focal-points/FRA"), json=person, headers=service.secretariat
    )
    on_phase = await service.client.put(
        "/phases/phase-1/focal-points",
        json={"focal_points": [{**person, "state": "FRA"}]},
        headers=service.secretariat,
    )
    review = await service.review()

    assert on_review.status_code == 422
    assert on_review.json()["detail"] == (
        "cannot appoint focal_point-bra@palermo.local as a focal point of FRA, "
        "because it is a focal point of BRA"
    )
    assert on_phase.status_code == 422
    assert on_phase.json()["field"] == "focal_points"
    assert review["focal_points"] == []


async def test_expert_named_focal_point_rejected(service, started_review) -> None:
    await publish_accounts(service, activated("a-fra", "expert", "FRA"))
    person = {"subject": "account-a-fra", "name": "Ana Pérez"}
    person["email"] = "ana.perez@example.org"

    response = await service.client.put(
        service.url("/focal-points/FRA"), json=person, headers=service.secretariat
    )

    assert response.status_code == 422
    assert "because it is an expert of FRA" in response.json()["detail"]
