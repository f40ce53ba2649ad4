"""Stage deadlines: flags, extensions, reminders and escalation."""

import asyncio
import datetime as dt

import pytest

from palermo_review.main import create_app
from palermo_review.settings import ReviewSettings
from palermo_shared.bus import Record
from palermo_shared.bus.memory import MemoryBus
from palermo_shared.contracts import DeskReviewOverdue, DeskReviewReminderDue
from palermo_shared.events import (
    TOPIC_REVIEW,
    decode,
    encode,
    new_event,
    payload_of,
    topic_of,
)

START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def deadline(review: dict, stage: str) -> dict:
    [found] = [d for d in review["deadlines"] if d["stage"] == stage]
    return found


async def check(service, days: float) -> dict:
    service.clock.now = START + dt.timedelta(days=days)
    response = await service.client.post(
        "/deadlines/check", json={}, headers=service.secretariat
    )
    assert response.status_code == 200, response.text
    return response.json()


def payloads(service, event_type: str) -> list:
    return [payload_of(e) for e in service.events(event_type)]


async def test_default_deadlines(service, started_review) -> None:
    review = await service.review()

    assert deadline(review, "focal_points")["due_at"] == "2026-01-19T09:00:00Z"
    assert deadline(review, "experts")["due_at"] == "2026-02-02T09:00:00Z"
    assert deadline(review, "questionnaire")["met_at"] == "2025-03-01T00:00:00Z"
    assert deadline(review, "feedback")["due_at"] == "2026-07-07T09:00:00Z"
    assert deadline(review, "focal_points")["pending_states"] == ["ITA", "FRA", "BRA"]
    assert review["overdue"] is False


async def test_overdue_flagged(service, started_review) -> None:
    service.clock.advance(days=15)

    review = await service.review()

    assert review["overdue"] is True
    assert deadline(review, "focal_points")["days_overdue"] == 1
    assert deadline(review, "experts")["overdue"] is False


async def test_met_deadlines_not_flagged(service, staffed_review) -> None:
    service.clock.advance(days=30)

    review = await service.review()

    assert review["overdue"] is False
    assert deadline(review, "experts")["met_at"] == "2026-01-05T09:00:00Z"


async def test_reminder_then_overdue_once(service, started_review) -> None:
    early = await check(service, 6)
    reminded = await check(service, 8)
    again = await check(service, 9)
    escalated = await check(service, 15)
    repeated = await check(service, 16)
    await service.wait_for_outbox()

    assert (early["reminders"], early["overdue"]) == (0, 0)
    assert (reminded["reminders"], reminded["overdue"]) == (1, 0)
    assert (again["reminders"], again["overdue"]) == (0, 0)
    assert (escalated["reminders"], escalated["overdue"]) == (0, 1)
    assert (repeated["reminders"], repeated["overdue"]) == (0, 0)
    [reminder] = payloads(service, DeskReviewReminderDue.event_type)
    assert reminder.stage == "focal_points"
    assert reminder.days_left == 6
    assert reminder.states == ["ITA", "FRA", "BRA"]
    [overdue] = payloads(service, DeskReviewOverdue.event_type)
    assert overdue.stage == "focal_points"
    assert overdue.days_overdue == 1
    assert overdue.due_at == START + dt.timedelta(days=14)
    assert overdue.instrument.value == "convention"


async def test_concurrent_checks_escalate_once(service, started_review) -> None:
    service.clock.now = START + dt.timedelta(days=15)

    responses = await asyncio.gather(
        *(
            service.client.post(
                "/deadlines/check", json={}, headers=service.secretariat
            )
            for _ in range(10)
        )
    )
    await service.wait_for_outbox()

    assert {r.status_code for r in responses} == {200}
    assert sum(r.json()["overdue"] for r in responses) == 1
    [overdue] = payloads(service, DeskReviewOverdue.event_type)
    assert overdue.stage == "focal_points"


async def extend(service, **changes):
    body = {"stage": "focal_points", "days": 10, "reason": "Elections", **changes}
    return await service.client.post(
        service.url("/extensions"), json=body, headers=service.secretariat
    )


async def test_extension_moves_due_date(service, started_review) -> None:
    await check(service, 15)

    response = await extend(service)
    review = await service.review()
    reminded = await check(service, 18)
    escalated = await check(service, 25)

    assert response.status_code == 201
    assert deadline(review, "focal_points")["due_at"] == "2026-01-29T09:00:00Z"
    assert deadline(review, "focal_points")["extended_days"] == 10
    assert review["overdue"] is False
    assert reminded["reminders"] == 1
    assert escalated["overdue"] == 1
    listed = await service.client.get(
        service.url("/extensions"), headers=service.focal_point("ITA")
    )
    assert listed.status_code == 403
    listed = await service.client.get(
        service.url("/extensions"), headers=service.secretariat
    )
    assert listed.json()[0]["reason"] == "Elections"


async def test_bad_extension_invalid(service, started_review) -> None:
    for changes, field in (
        ({"days": 0}, "days"),
        ({"stage": "summary"}, "stage"),
        ({"reason": ""}, "reason"),
    ):
        response = await extend(service, **changes)
        assert response.status_code == 422
        assert field in response.text
    review = await service.review()
    assert deadline(review, "focal_points")["extended_days"] == 0


async def test_extension_of_completed_review(service, staffed_review) -> None:
    await service.complete_fully()

    response = await extend(service, stage="feedback", days=30)

    assert response.status_code == 409
    message = response.json()["detail"]
    assert message.startswith(f"cannot extend a deadline of review {staffed_review}:")
    assert "it is completed" in message


async def test_extension_of_met_stage(service, staffed_review) -> None:
    response = await extend(service, stage="focal_points")
    review = await service.review()

    assert response.status_code == 409
    assert response.json()["field"] == "stage"
    assert "the stage was met on" in response.json()["detail"]
    assert deadline(review, "focal_points")["extended_days"] == 0


async def test_completed_review_not_escalated(service, staffed_review) -> None:
    await service.complete_fully()

    result = await check(service, 400)

    assert result["overdue"] == 0


def record(payload) -> Record:
    envelope = new_event(payload, source="/palermo/test", subject="ITA")
    return Record(topic=topic_of(envelope), key="ITA", value=encode(envelope))


async def overdue_events(bus: MemoryBus) -> list:
    for _ in range(200):
        log = [decode(r.value) for r in bus.log(TOPIC_REVIEW)]
        found = [e for e in log if e.type == DeskReviewOverdue.event_type]
        if found:
            return found
        await asyncio.sleep(0.05)
    return []


async def test_periodic_check_uses_clock(tmp_path, service) -> None:
    bus = MemoryBus()
    settings = ReviewSettings(
        data_dir=tmp_path / "periodic",
        deadline_check_interval_seconds=0.05,
    )
    now = [START]
    app = create_app(settings, bus, clock=lambda: now[0])
    async with app.router.lifespan_context(app):
        await bus.append(
            [record(service.lots_drawn()), record(service.questionnaire_submitted())]
        )
        [consumer] = app.state.runtime.consumers
        while consumer.handled_total < 2:
            await asyncio.sleep(0.02)
        now[0] = START + dt.timedelta(days=20)
        found = await overdue_events(bus)
        await asyncio.sleep(0.2)
        again = await overdue_events(bus)

    assert len(found) == 1
    assert len(again) == 1


async def test_check_at_past_time(service, started_review) -> None:
    service.clock.advance(days=20)
    at = (START + dt.timedelta(days=15)).isoformat()

    response = await service.client.post(
        "/deadlines/check", json={"at": at}, headers=service.secretariat
    )

    assert response.status_code == 200
    assert response.json()["overdue"] == 1


@pytest.mark.parametrize(
    "at",
    ["2026-01-05T09:00:01+00:00", "9999-12-31T23:59:59Z", "2026-01-01T00:00:00"],
    ids=["future", "far-future", "no-time-zone"],
)
async def test_check_at_invalid_time(service, started_review, at) -> None:
    response = await service.client.post(
        "/deadlines/check", json={"at": at}, headers=service.secretariat
    )
    await service.wait_for_outbox()

    assert response.status_code == 422
    assert response.json()["field"] == "at"
    assert payloads(service, DeskReviewOverdue.event_type) == []
    assert payloads(service, DeskReviewReminderDue.event_type) == []
