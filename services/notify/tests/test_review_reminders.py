"""Reminders and escalations of desk review deadlines."""

import datetime as dt

import pytest

from palermo_notify.domain.messages import message_facts
from palermo_notify.domain.rules import plan_recipients
from palermo_notify.messages import render_message
from palermo_shared.contracts import DeskReviewOverdue, DeskReviewReminderDue
from palermo_shared.reference.instruments import Cluster, Instrument

DUE_AT = dt.datetime(2026, 1, 19, 9, 0, tzinfo=dt.UTC)
LINKS = {
    "step_url": "https://palermo.example.org/api/v1/review/reviews/review-1",
    "notification_url": "https://palermo.example.org/api/v1/notify/notifications/n",
}


def reminder(states: list[str]) -> DeskReviewReminderDue:
    return DeskReviewReminderDue(
        review_id="review-1",
        phase_id="phase-1",
        state_under_review="ITA",
        instrument=Instrument.CONVENTION,
        cluster=Cluster.CRIMINALIZATION,
        stage="experts",
        due_at=DUE_AT,
        days_left=6,
        states=states,
    )


def overdue(states: list[str]) -> DeskReviewOverdue:
    return DeskReviewOverdue(
        review_id="review-1",
        phase_id="phase-1",
        state_under_review="ITA",
        instrument=Instrument.CONVENTION,
        cluster=Cluster.CRIMINALIZATION,
        stage="focal_points",
        due_at=DUE_AT,
        days_overdue=2,
        states=states,
    )


def test_reminder_goes_to_states_concerned() -> None:
    recipients = plan_recipients(DeskReviewReminderDue.event_type, reminder(["BRA"]))

    assert recipients.states == ("BRA",)
    assert recipients.secretariat is False


def test_reminder_reaches_state_under_review_when_listed() -> None:
    payload = reminder(["ITA", "FRA"])

    recipients = plan_recipients(DeskReviewReminderDue.event_type, payload)

    assert recipients.states == ("ITA", "FRA")


def test_overdue_also_tells_secretariat() -> None:
    recipients = plan_recipients(DeskReviewOverdue.event_type, overdue(["FRA"]))

    assert recipients.states == ("FRA",)
    assert recipients.secretariat is True


async def test_reminder_delivered_to_inbox(service) -> None:
    envelope = await service.publish(reminder(["FRA", "BRA"]), "ITA/convention")

    items = await service.wait_for_notifications(2, event_id=envelope.id)

    assert sorted(i["recipient_state"] for i in items) == ["BRA", "FRA"]
    assert {i["channel"] for i in items} == {"inbox"}
    assert {i["status"] for i in items} == {"delivered"}


async def test_overdue_delivered_to_inbox(service) -> None:
    envelope = await service.publish(overdue(["ITA"]), "ITA/convention")

    items = await service.wait_for_notifications(1, event_id=envelope.id)

    assert [i["recipient_state"] for i in items] == ["ITA"]


@pytest.mark.parametrize("language", ["ar", "zh", "en", "fr", "ru", "es"])
@pytest.mark.parametrize("kind", ["desk_review_reminder_due", "desk_review_overdue"])
def test_deadline_message_in_language(kind: str, language: str) -> None:
    facts = message_facts(overdue(["ITA"]), occurred_at=DUE_AT)

    message = render_message(kind, language, facts, LINKS)

    assert message.language == language
    assert "ITA" in message.subject
    assert LINKS["step_url"] in message.body


async def test_deadline_rules_listed(service) -> None:
    response = await service.client.get("/rules")

    rules = {rule["event_type"]: rule for rule in response.json()}
    overdue_audiences = rules[DeskReviewOverdue.event_type]["audiences"]
    reminder_audiences = rules[DeskReviewReminderDue.event_type]["audiences"]
    assert overdue_audiences[-1]["audience"] == "secretariat"
    assert "secretariat" not in [a["audience"] for a in reminder_audiences]


async def test_overdue_emailed_to_secretariat(mail_service, mailbox) -> None:
    envelope = await mail_service.publish(overdue(["ITA"]), "ITA/convention")

    await mail_service.wait_for_notifications(
        1, event_id=envelope.id, channel="email", status="delivered"
    )

    [message] = mailbox.to("secretariat@un.example.org")
    assert "ITA" in message["Subject"]
    assert LINKS["step_url"] in message.get_content()
