"""E-mail to contacts through a real SMTP server (aiosmtpd) on 127.0.0.1."""

import datetime as dt

import pytest

from palermo_notify.tables import Notification
from palermo_shared.auth import LocalIssuer, Role
from palermo_shared.bus.memory import MemoryBus
from palermo_shared.contracts import NotificationDelivered
from palermo_shared.events import new_event

SECRETARIAT = "secretariat@un.example.org"


async def _contact(service, state, email, *, role="focal_point", language="en"):
    body = {
        "name": f"Contact {email}",
        "role": role,
        "state": state,
        "email": email,
        "language": language,
    }
    response = await service.client.post("/contacts", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def _emails(service, event_id, count, **params):
    return await service.wait_for_notifications(
        count, event_id=event_id, channel="email", **params
    )


async def test_email_in_contact_language(mail_service, mailbox, events):
    await _contact(mail_service, "FRA", "marie@gov.example.fr", language="fr")
    envelope = new_event(
        events.lots_drawn(), source="/palermo/test", subject="ITA/convention"
    )
    envelope = envelope.model_copy(
        update={"time": dt.datetime(2025, 1, 15, 9, 30, tzinfo=dt.UTC)}
    )
    await mail_service.deliver(envelope)

    [item] = await _emails(
        mail_service, envelope.id, 1, state="FRA", status="delivered"
    )

    [message] = mailbox.to("marie@gov.example.fr")
    body = message.get_content()
    assert message["Subject"] == "Palermo : tirage au sort pour l'examen de ITA"
    assert message["Content-Language"] == "fr"
    assert message["Message-ID"] == f"<{item['id']}@localhost>"
    assert "15 janvier 2025" in body
    assert "FRA, BRA" in body
    assert "https://palermo.example.org/api/v1/draw/phases/phase-1" in body
    assert (
        f"https://palermo.example.org/api/v1/notify/notifications/{item['id']}" in body
    )
    assert item["language"] == "fr"
    assert item["attempts"] == 1


@pytest.mark.parametrize(
    ("written", "sent"),
    [
        ("zoe@例え.jp", "zoe@xn--r8jz45g.jp"),
        ("Zoe@XN--R8JZ45G.jp", "zoe@xn--r8jz45g.jp"),
        ("josé@exämple.org", "josé@exämple.org"),
    ],
)
async def test_email_to_internationalized_address(
    mail_service, mailbox, events, written, sent
):
    await _contact(mail_service, "FRA", written)
    envelope = await mail_service.publish(events.lots_drawn())

    await _emails(mail_service, envelope.id, 1, state="FRA", status="delivered")

    [message] = mailbox.to(sent)
    assert [sent] in mailbox.envelopes
    assert "ITA" in message["Subject"]


async def test_email_links_to_review(mail_service, mailbox, events):
    await _contact(mail_service, "ITA", "fp@gov.example.it", language="zh")
    envelope = await mail_service.publish(events.desk_review_completed())

    await _emails(mail_service, envelope.id, 1, state="ITA", status="delivered")

    [message] = mailbox.to("fp@gov.example.it")
    assert message["Subject"] == "Palermo：ITA 的案头审议已完成"  # noqa: RUF001
    assert "https://palermo.example.org/api/v1/review/reviews/review-1" in (
        message.get_content()
    )


async def test_email_withholds_review_content(mail_service, mailbox, events):
    await _contact(mail_service, "FRA", "expert@gov.example.fr", role="expert")
    envelope = await mail_service.publish(events.desk_review_completed())

    await _emails(mail_service, envelope.id, 1, state="FRA", status="delivered")

    [message] = mailbox.to("expert@gov.example.fr")
    body = message.get_content().lower()
    assert "observation" not in body
    assert "4 " not in body
    assert "response-1" not in body


async def test_email_roles_follow_rules(mail_service, mailbox, events):
    await _contact(mail_service, "ITA", "fp@gov.example.it")
    await _contact(mail_service, "ITA", "expert@gov.example.it", role="expert")
    drawn = await mail_service.publish(events.lots_drawn())
    completed = await mail_service.publish(events.desk_review_completed())

    drawn_mail = await _emails(mail_service, drawn.id, 2, status="delivered")
    completed_mail = await _emails(mail_service, completed.id, 3, status="delivered")

    # Lots drawn: the focal point of the State under review and the Secretariat.
    assert sorted(n["contact_id"] is None for n in drawn_mail) == [False, True]
    assert len(completed_mail) == 3
    assert len(mailbox.to("expert@gov.example.it")) == 1
    assert len(mailbox.to("fp@gov.example.it")) == 2


async def test_one_batch_emails_every_contact(mail_service, mailbox, events):
    # The batch's preload reads the contacts of the States the payloads name.
    # The questionnaire's reviewers come from the pair the lots just queued.
    await _contact(mail_service, "ITA", "fp@gov.example.it")
    await _contact(mail_service, "BRA", "expert@gov.example.br", role="expert")
    drawn, submitted = await mail_service.publish_together(
        events.lots_drawn(reviewers=("FRA", "BRA")), events.questionnaire_submitted()
    )

    await _emails(mail_service, drawn.id, 3, status="delivered")
    await _emails(mail_service, submitted.id, 3, status="delivered")

    assert len(mailbox.to("fp@gov.example.it")) == 2
    assert len(mailbox.to("expert@gov.example.br")) == 2
    assert len(mailbox.to(SECRETARIAT)) == 2


async def test_secretariat_emailed(mail_service, mailbox, events):
    drawn = await mail_service.publish(events.lots_drawn())
    started = await mail_service.publish(events.desk_review_started())
    sentinel = await mail_service.publish(events.desk_review_completed())

    await _emails(mail_service, sentinel.id, 1, status="delivered")
    [item] = await _emails(mail_service, drawn.id, 1, status="delivered")

    assert item["recipient_state"] is None
    assert item["contact_id"] is None
    assert await mail_service.notifications(event_id=started.id, channel="email") == []
    assert len(mailbox.to(SECRETARIAT)) == 2


async def test_email_delivery_published(mail_service, mailbox, events):
    await _contact(mail_service, "BRA", "fp@gov.example.br")
    envelope = await mail_service.publish(events.lots_drawn())
    [item] = await _emails(
        mail_service, envelope.id, 1, state="BRA", status="delivered"
    )

    async def published() -> bool:
        return any(
            e.data["notification_id"] == item["id"]
            for e in mail_service.delivered_events()
        )

    await mail_service.wait_until(published)
    [event] = [
        e
        for e in mail_service.delivered_events()
        if e.data["notification_id"] == item["id"]
    ]
    assert event.type == NotificationDelivered.event_type
    assert event.data["channel"] == "email"
    assert event.data["recipient_state"] == "BRA"
    assert "fp@gov.example.br" not in event.model_dump_json()


async def test_refused_recipient_dead_lettered(mail_service, mailbox, events):
    await _contact(mail_service, "FRA", "refuse@gov.example.fr")
    await _contact(mail_service, "BRA", "fp@gov.example.br")
    envelope = await mail_service.publish(events.lots_drawn())

    [refused] = await _emails(mail_service, envelope.id, 1, status="dead_letter")
    delivered = await _emails(mail_service, envelope.id, 2, status="delivered")

    assert refused["recipient_state"] == "FRA"
    assert refused["attempts"] == 1
    assert refused["last_error"].startswith("SMTP server rejected the recipient: 550")
    assert {n["recipient_state"] for n in delivered} == {"BRA", None}
    assert mailbox.to("refuse@gov.example.fr") == []


async def test_refusal_withholds_address(mail_service, mailbox, events, settings):
    # The recipient State's focal points and experts read its delivery log,
    # but not the addresses of its contacts.
    await _contact(mail_service, "FRA", "Refuse.Ana@Gov.Example.fr")
    envelope = await mail_service.publish(events.lots_drawn())
    await _emails(mail_service, envelope.id, 1, status="dead_letter")
    tokens = LocalIssuer.from_key_file(settings.signing_key_path())

    response = await mail_service.client.get(
        "/notifications",
        params={"channel": "email", "status": "dead_letter"},
        headers=tokens.headers(Role.FOCAL_POINT, "FRA"),
    )

    [refused] = response.json()["items"]
    assert refused["last_error"].startswith("SMTP server rejected the recipient: 550")
    assert "refuse.ana" not in refused["last_error"].lower()


async def test_resend_to_deactivated_contact_conflicts(mail_service, mailbox, events):
    contact = await _contact(mail_service, "FRA", "refuse@gov.example.fr")
    envelope = await mail_service.publish(events.lots_drawn())
    [refused] = await _emails(mail_service, envelope.id, 1, status="dead_letter")
    response = await mail_service.client.post(f"/contacts/{contact['id']}/deactivate")
    assert response.status_code == 200

    response = await mail_service.client.post(f"/notifications/{refused['id']}/resend")

    assert response.status_code == 409
    assert contact["id"] in response.json()["detail"]
    stored = await mail_service.client.get(f"/notifications/{refused['id']}")
    assert stored.json()["status"] == "dead_letter"


async def test_resend_goes_to_corrected_address(mail_service, mailbox, events):
    contact = await _contact(mail_service, "FRA", "refuse@gov.example.fr")
    envelope = await mail_service.publish(events.lots_drawn())
    [refused] = await _emails(mail_service, envelope.id, 1, status="dead_letter")
    response = await mail_service.client.patch(
        f"/contacts/{contact['id']}", json={"email": "fp@gov.example.fr"}
    )
    assert response.status_code == 200

    response = await mail_service.client.post(f"/notifications/{refused['id']}/resend")

    assert response.status_code == 200
    await _emails(
        mail_service, envelope.id, 1, status="delivered", contact_id=contact["id"]
    )
    assert len(mailbox.to("fp@gov.example.fr")) == 1
    assert mailbox.to("refuse@gov.example.fr") == []


async def test_pending_email_follows_new_address(settings, events, start_service):
    # SMTP is down and the first retry comes after the test ends, so the
    # e-mail is still pending when the address changes.
    slow_retries = settings.model_copy(update={"email_retry_base_seconds": 600})
    async with start_service(slow_retries, MemoryBus()) as service:
        contact = await _contact(service, "FRA", "old@gov.example.fr")
        envelope = await service.publish(events.lots_drawn())
        [pending] = await _emails(service, envelope.id, 1, status="pending")

        response = await service.client.patch(
            f"/contacts/{contact['id']}", json={"email": "new@gov.example.fr"}
        )

        assert response.status_code == 200
        async with service.app.state.runtime.session() as session:
            stored = await session.get(Notification, pending["id"])
        assert stored is not None
        assert stored.address == "new@gov.example.fr"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"state": "DEU"}, "moved to State DEU"),
        ({"channels": []}, "no longer has the email channel"),
    ],
)
async def test_pending_email_fails_when_no_longer_due(
    settings, events, start_service, changes, reason
):
    # SMTP is down and the first retry comes after the test ends, so the
    # e-mail is still pending when the contact changes.
    slow_retries = settings.model_copy(update={"email_retry_base_seconds": 600})
    async with start_service(slow_retries, MemoryBus()) as service:
        contact = await _contact(service, "FRA", "fp@gov.example.fr")
        envelope = await service.publish(events.lots_drawn())
        await _emails(service, envelope.id, 1, status="pending")

        response = await service.client.patch(
            f"/contacts/{contact['id']}", json=changes
        )

        assert response.status_code == 200
        [item] = await service.notifications(contact_id=contact["id"])
        assert item["status"] == "failed"
        assert reason in item["last_error"]


async def test_resend_to_moved_contact_conflicts(mail_service, mailbox, events):
    contact = await _contact(mail_service, "FRA", "refuse@gov.example.fr")
    envelope = await mail_service.publish(events.lots_drawn())
    [refused] = await _emails(mail_service, envelope.id, 1, status="dead_letter")
    response = await mail_service.client.patch(
        f"/contacts/{contact['id']}", json={"state": "DEU"}
    )
    assert response.status_code == 200

    response = await mail_service.client.post(f"/notifications/{refused['id']}/resend")

    assert response.status_code == 409
    assert "moved to State DEU" in response.json()["detail"]
    stored = await mail_service.client.get(f"/notifications/{refused['id']}")
    assert stored.json()["status"] == "dead_letter"


async def test_busy_recipient_retried(mail_service, mailbox, events):
    await _contact(mail_service, "FRA", "busy@gov.example.fr")
    envelope = await mail_service.publish(events.lots_drawn())

    [item] = await _emails(mail_service, envelope.id, 1, status="dead_letter")

    assert item["attempts"] == 3
    assert item["last_error"].startswith("SMTP server rejected the recipient: 451")


async def test_smtp_down_retried(service, events):
    await _contact(service, "FRA", "fp@gov.example.fr")
    envelope = await service.publish(events.lots_drawn())

    [item] = await _emails(service, envelope.id, 1, status="dead_letter")

    assert item["attempts"] == 3
    assert item["last_error"].startswith("SMTP delivery failed")
    assert item["delivered_at"] is None


async def test_deactivated_contact_not_emailed(mail_service, mailbox, events):
    contact = await _contact(mail_service, "FRA", "fp@gov.example.fr")
    response = await mail_service.client.post(f"/contacts/{contact['id']}/deactivate")
    assert response.status_code == 200
    envelope = await mail_service.publish(events.lots_drawn())

    await _emails(mail_service, envelope.id, 1, status="delivered")

    assert (
        await mail_service.notifications(
            event_id=envelope.id, channel="email", state="FRA"
        )
        == []
    )
    assert await mail_service.notifications(contact_id=contact["id"]) == []


async def test_reactivated_contact_emailed(mail_service, mailbox, events):
    contact = await _contact(mail_service, "FRA", "fp@gov.example.fr")
    path = f"/contacts/{contact['id']}"
    response = await mail_service.client.post(f"{path}/deactivate")
    assert response.status_code == 200
    response = await mail_service.client.patch(path, json={"active": True})
    assert response.status_code == 200

    envelope = await mail_service.publish(events.lots_drawn())

    [item] = await _emails(mail_service, envelope.id, 1, contact_id=contact["id"])
    assert item["recipient_state"] == "FRA"


async def test_update_deactivation_stops_emails(mail_service, mailbox, events):
    contact = await _contact(mail_service, "FRA", "fp@gov.example.fr")
    response = await mail_service.client.patch(
        f"/contacts/{contact['id']}", json={"active": False}
    )
    assert response.status_code == 200
    envelope = await mail_service.publish(events.lots_drawn())

    await _emails(mail_service, envelope.id, 1, status="delivered")

    assert await mail_service.notifications(contact_id=contact["id"]) == []


async def test_update_deactivation_fails_pending(settings, events, start_service):
    # SMTP is down and the first retry comes after the test ends, so the
    # e-mail is still pending when the contact is deactivated.
    slow_retries = settings.model_copy(update={"email_retry_base_seconds": 600})
    async with start_service(slow_retries, MemoryBus()) as service:
        contact = await _contact(service, "FRA", "fp@gov.example.fr")
        envelope = await service.publish(events.lots_drawn())
        await _emails(service, envelope.id, 1, status="pending")

        response = await service.client.patch(
            f"/contacts/{contact['id']}", json={"active": False}
        )

        assert response.status_code == 200
        [item] = await service.notifications(contact_id=contact["id"])
        assert item["status"] == "failed"
        assert "deactivated" in item["last_error"]
