"""Recipient rules, without the service."""

import pytest

from palermo_notify.domain.rules import distinct_states, recipients_of
from palermo_shared.contracts import (
    DeskReviewCompleted,
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
