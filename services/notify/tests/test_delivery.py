"""Webhook delivery to a real HTTP receiver on 127.0.0.1."""

import logging
import time

from palermo_notify.tables import WebhookSubscription
from palermo_shared.bus.memory import MemoryBus
from palermo_shared.contracts import NotificationDelivered
from palermo_shared.ids import new_id


async def _subscribe(service, state, url):
    response = await service.client.post(
        "/subscriptions", json={"state": state, "url": url}
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def _webhook_once(service, event_id, *, status, timeout=5.0):
    items = await service.wait_for_notifications(
        1, timeout, event_id=event_id, channel="webhook", status=status
    )
    assert len(items) == 1
    return items[0]


async def test_webhook_delivered(service, events, receiver):
    subscription_id = await _subscribe(service, "FRA", receiver.url("/ok"))
    envelope = await service.publish(events.lots_drawn(), subject="ITA/convention")

    item = await _webhook_once(service, envelope.id, status="delivered")

    assert item["recipient_state"] == "FRA"
    assert item["subscription_id"] == subscription_id
    assert item["attempts"] == 1
    assert item["last_error"] is None
    [request] = receiver.received("/ok")
    assert request.headers["palermo-notification-id"] == item["id"]
    assert request.body == {
        "notification_id": item["id"],
        "event_id": envelope.id,
        "event_type": envelope.type,
        "subject": "ITA/convention",
        "recipient_state": "FRA",
        "links": {
            "notification": "https://palermo.example.org"
            f"/api/v1/notify/notifications/{item['id']}"
        },
    }


async def test_webhook_link_without_double_slash(
    settings, events, receiver, start_service
):
    slashed = settings.model_copy(
        update={"public_base_url": "https://palermo.example.org/"}
    )
    async with start_service(slashed, MemoryBus()) as service:
        await _subscribe(service, "FRA", receiver.url("/ok"))
        envelope = await service.publish(events.lots_drawn())

        item = await _webhook_once(service, envelope.id, status="delivered")

    [request] = receiver.received("/ok")
    assert request.body["links"]["notification"] == (
        f"https://palermo.example.org/api/v1/notify/notifications/{item['id']}"
    )


async def test_webhook_delivery_published(service, events, receiver):
    await _subscribe(service, "FRA", receiver.url("/ok"))
    envelope = await service.publish(events.lots_drawn())
    item = await _webhook_once(service, envelope.id, status="delivered")

    async def published() -> bool:
        return any(
            e.data["notification_id"] == item["id"] for e in service.delivered_events()
        )

    await service.wait_until(published)
    [event] = [
        e for e in service.delivered_events() if e.data["notification_id"] == item["id"]
    ]
    assert event.type == NotificationDelivered.event_type
    assert event.data["channel"] == "webhook"
    assert event.data["event_id"] == envelope.id
    assert event.data["recipient_state"] == "FRA"
    assert event.causationid == envelope.id
    assert event.correlationid == envelope.correlationid


async def test_failing_receiver_dead_lettered(service, events, receiver, caplog):
    caplog.set_level(logging.WARNING, logger="palermo_notify.delivery")
    await _subscribe(service, "FRA", receiver.url("/fail"))
    envelope = await service.publish(events.lots_drawn())

    item = await _webhook_once(service, envelope.id, status="dead_letter")

    assert item["attempts"] == 3
    assert item["last_error"] == "receiver responded with HTTP 500"
    assert item["next_attempt_at"] is None
    assert item["delivered_at"] is None
    assert len(receiver.received("/fail")) == 3
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert item["id"] in errors[0].getMessage()
    assert "HTTP 500" in errors[0].getMessage()


async def test_unsafe_subscription_url_rejected(service, receiver):
    response = await service.client.post(
        "/subscriptions", json={"state": "FRA", "url": receiver.url("/ok\x00")}
    )

    assert response.status_code == 422
    assert response.json()["field"] == "url"
    [problem] = response.json()["problems"]
    assert "control character U+0000" in problem["message"]


async def test_stored_unsafe_url_dead_lettered(service, events, receiver):
    # Stored before URLs with control characters were rejected.
    async with service.app.state.runtime.transaction() as session:
        session.add(
            WebhookSubscription(
                id=new_id(), state="FRA", url=receiver.url("/ok\r\n"), secret="s"
            )
        )
    envelope = await service.publish(events.lots_drawn())

    item = await _webhook_once(service, envelope.id, status="dead_letter")

    assert item["attempts"] == 1
    assert "contains '\\r'" in item["last_error"]


async def test_failed_retries_back_off(service, events, receiver):
    await _subscribe(service, "FRA", receiver.url("/fail"))
    envelope = await service.publish(events.lots_drawn())
    await _webhook_once(service, envelope.id, status="dead_letter")

    first, second, third = (r.received_at for r in receiver.received("/fail"))

    # Retry base 0.05 s in the test settings: waits of 0.05 s, then 0.1 s.
    assert second - first >= 0.05
    assert third - second >= 0.1


async def test_hanging_receiver_blocks_no_other(service, events, receiver, settings):
    await _subscribe(service, "FRA", receiver.url("/hang"))
    await _subscribe(service, "BRA", receiver.url("/ok"))
    started = time.monotonic()
    envelope = await service.publish(events.lots_drawn())

    delivered = await _webhook_once(service, envelope.id, status="delivered")
    delivered_after = time.monotonic() - started
    [hanging] = await service.notifications(
        event_id=envelope.id, channel="webhook", state="FRA"
    )

    assert delivered["recipient_state"] == "BRA"
    assert delivered_after < settings.webhook_timeout_seconds
    assert hanging["status"] == "pending"
    assert hanging["attempts"] == 0

    async def timed_out() -> bool:
        [item] = await service.notifications(
            event_id=envelope.id, state="FRA", channel="webhook"
        )
        return item["attempts"] >= 1

    await service.wait_until(timed_out)
    [hanging] = await service.notifications(
        event_id=envelope.id, state="FRA", channel="webhook"
    )
    assert hanging["last_error"] == "timed out after 1 s without a response"
    assert hanging["status"] == "pending"


async def test_refused_connection_retried(service, events, closed_port_url):
    await _subscribe(service, "FRA", closed_port_url)
    envelope = await service.publish(events.lots_drawn())

    item = await _webhook_once(service, envelope.id, status="dead_letter")

    assert item["attempts"] == 3
    assert item["last_error"].startswith("request failed: ConnectError")


async def test_deleted_subscription_fails_pending(service, events, receiver):
    subscription_id = await _subscribe(service, "FRA", receiver.url("/hang"))
    envelope = await service.publish(events.lots_drawn())
    await _webhook_once(service, envelope.id, status="pending")

    response = await service.client.delete(f"/subscriptions/{subscription_id}")

    assert response.status_code == 204
    [item] = await service.notifications(event_id=envelope.id, channel="webhook")
    assert item["status"] == "failed"
    assert subscription_id in item["last_error"]


async def test_inbox_only_without_subscription(service, events, receiver):
    envelope = await service.publish(events.lots_drawn())
    await service.wait_for_notifications(3, event_id=envelope.id)

    assert await service.notifications(event_id=envelope.id, channel="webhook") == []
    assert receiver.requests == []
