"""Once in effect: redelivered events and a restart mid-batch notify once."""

from collections import Counter

from palermo_shared.bus.memory import MemoryBus

CONTACTS = [
    ("ITA", "fp@gov.example.it", "focal_point", "en"),
    ("FRA", "expert@gov.example.fr", "expert", "fr"),
    ("BRA", "fp@gov.example.br", "focal_point", "es"),
]
# Lots drawn for ITA: 3 contacts and the Secretariat. Lots drawn for JPN,
# reviewed by ITA and BRA: 2 contacts and the Secretariat. Desk review of
# ITA started: 3 contacts. The sentinel, lots drawn for DEU reviewed by AUT
# and CHE, adds one e-mail to the Secretariat.
EXPECTED_EMAILS = 10
# FRA's webhook: the draw for ITA and the desk review of ITA.
EXPECTED_WEBHOOKS = 2


async def _register(service, receiver):
    for state, address, role, language in CONTACTS:
        body = {
            "name": address,
            "role": role,
            "state": state,
            "email": address,
            "language": language,
        }
        response = await service.client.post("/contacts", json=body)
        assert response.status_code == 201, response.text
    response = await service.client.post(
        "/subscriptions", json={"state": "FRA", "url": receiver.url("/ok")}
    )
    assert response.status_code == 201, response.text


async def test_restart_mid_batch_sends_once(
    mail_settings, mailbox, receiver, events, start_service
):
    settings = mail_settings.model_copy(update={"webhook_batch_size": 1})
    mailbox.data_delay = 0.1
    bus = MemoryBus()
    async with start_service(settings, bus) as first:
        await _register(first, receiver)
        envelopes = [
            await first.publish(events.lots_drawn()),
            await first.publish(events.lots_drawn("JPN", reviewers=("ITA", "BRA"))),
            await first.publish(events.desk_review_started()),
        ]
        await first.wait_for_notifications(1, channel="email", status="delivered")
    sent_before_restart = len(mailbox.messages)

    async with start_service(settings, bus) as second:
        for envelope in envelopes:
            await second.deliver(envelope)
        sentinel = await second.publish(
            events.lots_drawn("DEU", reviewers=("AUT", "CHE"))
        )
        await second.wait_for_notifications(3, event_id=sentinel.id, channel="inbox")
        emails = await second.wait_for_notifications(
            EXPECTED_EMAILS + 1, timeout=15, channel="email", status="delivered"
        )
        webhooks = await second.wait_for_notifications(
            EXPECTED_WEBHOOKS, channel="webhook", status="delivered"
        )
        everything = await second.notifications(limit=1000)

    assert 1 <= sent_before_restart < EXPECTED_EMAILS
    keys = Counter(
        (n["event_id"], n["channel"], n["recipient_state"], n["contact_id"])
        for n in everything
        if n["channel"] != "webhook"
    )
    assert max(keys.values()) == 1
    assert len(emails) == EXPECTED_EMAILS + 1
    assert len(webhooks) == EXPECTED_WEBHOOKS
    message_ids = Counter(m["Message-ID"] for m in mailbox.messages)
    assert len(message_ids) == EXPECTED_EMAILS + 1
    assert max(message_ids.values()) == 1
    webhook_ids = Counter(
        r.headers["palermo-notification-id"] for r in receiver.received("/ok")
    )
    assert len(webhook_ids) == EXPECTED_WEBHOOKS
    assert max(webhook_ids.values()) == 1
    inbox = [n for n in everything if n["channel"] == "inbox"]
    assert len(inbox) == 3 * (len(envelopes) + 1)
