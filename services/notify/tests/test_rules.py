"""Recipient rules, without the service, and the endpoint that lists them."""

import pytest

from palermo_notify.domain.contacts import ContactRole
from palermo_notify.domain.rules import distinct_states, plan_recipients, recipients_of
from palermo_shared.contracts import (
    AccountInvited,
    DeskReviewCompleted,
    DeskReviewOverdue,
    DeskReviewReminderDue,
    DeskReviewReviewersChanged,
    DeskReviewStarted,
    LotsDrawn,
    QuestionnaireSubmitted,
    ReviewPhaseOpened,
)


def test_lots_drawn_recipients(events):
    recipients = recipients_of(LotsDrawn.event_type, events.lots_drawn())

    assert recipients == ("ITA", "FRA", "BRA")


def test_questionnaire_before_draw_recipients(events):
    payload = events.questionnaire_submitted()

    recipients = recipients_of(QuestionnaireSubmitted.event_type, payload)

    assert recipients == ("ITA",)


def test_questionnaire_after_draw_recipients(events):
    payload = events.questionnaire_submitted()

    recipients = recipients_of(
        QuestionnaireSubmitted.event_type, payload, ["FRA", "BRA"]
    )

    assert recipients == ("ITA", "FRA", "BRA")


@pytest.mark.parametrize(
    ("event_type", "builder"),
    [
        (DeskReviewStarted.event_type, "desk_review_started"),
        (DeskReviewCompleted.event_type, "desk_review_completed"),
    ],
)
def test_desk_review_recipients(events, event_type, builder):
    payload = getattr(events, builder)()

    assert recipients_of(event_type, payload) == ("ITA", "FRA", "BRA")


def test_phase_opened_has_no_recipients(events):
    payload = events.review_phase_opened()

    assert recipients_of(ReviewPhaseOpened.event_type, payload) == ()


def test_recipients_deduplicated(events):
    payload = events.desk_review_started(reviewers=("FRA", "fra", "ITA", "BRA"))

    recipients = recipients_of(DeskReviewStarted.event_type, payload)

    assert recipients == ("ITA", "FRA", "BRA")


def test_distinct_states_drops_blank():
    assert distinct_states([" ita", "", "ITA", "bra "]) == ("ITA", "BRA")


async def test_rules_listed(service):
    response = await service.client.get("/rules")

    assert response.status_code == 200
    rules = {rule["event_type"]: rule for rule in response.json()}
    assert set(rules) == {
        LotsDrawn.event_type,
        QuestionnaireSubmitted.event_type,
        DeskReviewStarted.event_type,
        DeskReviewCompleted.event_type,
        DeskReviewReviewersChanged.event_type,
        DeskReviewReminderDue.event_type,
        DeskReviewOverdue.event_type,
        AccountInvited.event_type,
    }
    started = rules[DeskReviewStarted.event_type]["audiences"]
    assert [a["audience"] for a in started] == [
        "state_under_review",
        "reviewing_states",
    ]
    completed = rules[DeskReviewCompleted.event_type]["audiences"]
    assert completed[-1] == {"audience": "secretariat", "email_roles": []}


def test_roles_per_audience(events):
    plan = plan_recipients(LotsDrawn.event_type, events.lots_drawn())

    assert plan.roles_by_state["ITA"] == {ContactRole.FOCAL_POINT}
    assert plan.roles_by_state["FRA"] == {ContactRole.FOCAL_POINT, ContactRole.EXPERT}
    assert plan.secretariat is True


def test_started_skips_secretariat(events):
    plan = plan_recipients(DeskReviewStarted.event_type, events.desk_review_started())

    assert plan.secretariat is False


def test_reviewer_under_review_once(events):
    payload = events.desk_review_started(reviewers=("ITA", "FRA"))

    plan = plan_recipients(DeskReviewStarted.event_type, payload)

    assert plan.states == ("ITA", "FRA")
    assert plan.roles_by_state["ITA"] == {ContactRole.FOCAL_POINT}
