"""Event handlers, run through the real app and a MemoryBus."""

import datetime as dt

import pytest
from sqlalchemy.exc import IntegrityError

from palermo_notify.tables import Notification
from palermo_shared.contracts import NotificationDelivered
from palermo_shared.events import payload_of


def _states(items):
    return sorted(item["recipient_state"] for item in items)


async def test_lots_drawn_notifies_recipients(service, events):
    envelope = await service.publish(events.lots_drawn(), subject="ITA/convention")

    items = await service.wait_for_notifications(3, event_id=envelope.id)

    assert _states(items) == ["BRA", "FRA", "ITA"]
    assert {item["channel"] for item in items} == {"inbox"}
    assert {item["status"] for item in items} == {"delivered"}
    assert {item["subject"] for item in items} == {"ITA/convention"}
    assert all(item["delivered_at"] is not None for item in items)


async def test_inbox_never_delivered_before_created(service, events):
    envelope = await service.publish(events.lots_drawn())

    items = await service.wait_for_notifications(3, event_id=envelope.id)

    for item in items:
        created_at = dt.datetime.fromisoformat(item["created_at"])
        delivered_at = dt.datetime.fromisoformat(item["delivered_at"])
        assert delivered_at >= created_at, item


async def test_inbox_delivery_published(service, events):
    envelope = await service.publish(events.lots_drawn())
    await service.wait_for_notifications(3, event_id=envelope.id)

    async def published() -> bool:
        return len(service.delivered_events()) == 3

    await service.wait_until(published)
    delivered = service.delivered_events()
    assert {e.type for e in delivered} == {NotificationDelivered.event_type}
    assert {e.causationid for e in delivered} == {envelope.id}
    assert {e.correlationid for e in delivered} == {envelope.correlationid}
    assert sorted(e.data["recipient_state"] for e in delivered) == [
        "BRA",
        "FRA",
        "ITA",
    ]
    assert {e.data["channel"] for e in delivered} == {"inbox"}


async def test_inbox_deliveries_have_own_events(service, events):
    envelope = await service.publish(events.lots_drawn())
    items = await service.wait_for_notifications(3, event_id=envelope.id)

    async def published() -> bool:
        return len(service.delivered_events()) == 3

    await service.wait_until(published)
    delivered = {e.data["notification_id"]: e for e in service.delivered_events()}
    assert len({e.id for e in delivered.values()}) == 3
    for item in items:
        event = delivered[item["id"]]
        payload = payload_of(event)
        assert event.subject == f"notification/{item['id']}"
        assert payload.recipient_state == item["recipient_state"]
        assert payload.event_id == envelope.id
        assert event.data["delivered_at"] == item["delivered_at"]


async def test_questionnaire_before_draw_notifies_submitter(service, events):
    envelope = await service.publish(events.questionnaire_submitted())

    items = await service.wait_for_notifications(1, event_id=envelope.id)

    assert _states(items) == ["ITA"]


async def test_questionnaire_after_draw_notifies_reviewers(service, events):
    await service.publish(events.lots_drawn(reviewers=("FRA", "BRA")))
    await service.publish(events.lots_drawn(state="FRA", reviewers=("ITA", "JPN")))
    envelope = await service.publish(events.questionnaire_submitted())

    items = await service.wait_for_notifications(3, event_id=envelope.id)

    assert _states(items) == ["BRA", "FRA", "ITA"]


async def test_questionnaire_after_redraw_notifies_new_reviewer(service, events):
    await service.publish(events.lots_drawn(reviewers=("FRA", "BRA")))
    await service.publish(events.lots_redrawn(reviewers=("FRA", "ARG")))
    envelope = await service.publish(events.questionnaire_submitted())

    items = await service.wait_for_notifications(3, event_id=envelope.id)

    assert _states(items) == ["ARG", "FRA", "ITA"]


@pytest.mark.parametrize("builder", ["desk_review_started", "desk_review_completed"])
async def test_desk_review_notifies_recipients(service, events, builder):
    envelope = await service.publish(getattr(events, builder)())

    items = await service.wait_for_notifications(3, event_id=envelope.id)

    assert _states(items) == ["BRA", "FRA", "ITA"]
    assert {item["event_type"] for item in items} == {envelope.type}


async def test_reviewers_change_notifies_new_and_replaced(service, events):
    envelope = await service.publish(events.desk_review_reviewers_changed())

    items = await service.wait_for_notifications(4, event_id=envelope.id)

    assert _states(items) == ["ARG", "BRA", "FRA", "ITA"]


async def test_phase_opened_notifies_nobody(service, events):
    opened = await service.publish(events.review_phase_opened())
    # Events of one topic are handled in order, so once the draw that follows
    # is handled, the phase event was handled or skipped.
    drawn = await service.publish(events.lots_drawn())
    await service.wait_for_notifications(3, event_id=drawn.id)

    assert await service.notifications(event_id=opened.id) == []


async def test_redelivered_event_notifies_once(service, events, receiver):
    response = await service.client.post(
        "/subscriptions", json={"state": "FRA", "url": receiver.url("/ok")}
    )
    assert response.status_code == 201
    envelope = await service.publish(events.lots_drawn())
    await service.deliver(envelope)
    sentinel = await service.publish(events.lots_drawn(state="JPN"))

    await service.wait_for_notifications(3, event_id=sentinel.id, channel="inbox")
    inbox = await service.notifications(event_id=envelope.id, channel="inbox")
    webhook = await service.notifications(event_id=envelope.id, channel="webhook")
    assert _states(inbox) == ["BRA", "FRA", "ITA"]
    assert _states(webhook) == ["FRA"]


async def test_duplicate_inbox_row_rejected(service, events):
    envelope = await service.publish(events.lots_drawn())
    items = await service.wait_for_notifications(3, event_id=envelope.id)
    runtime = service.app.state.runtime
    duplicate = Notification(
        id="another-id",
        event_id=envelope.id,
        event_type=envelope.type,
        subject=envelope.subject,
        correlation_id=envelope.correlationid,
        recipient_state=items[0]["recipient_state"],
        channel="inbox",
        status="delivered",
    )

    with pytest.raises(IntegrityError):
        async with runtime.transaction() as session:
            session.add(duplicate)
