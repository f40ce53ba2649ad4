"""Message templates in the six UN languages, without the service."""

import datetime as dt
import logging

import pytest

from palermo_notify.domain.contacts import Language
from palermo_notify.domain.messages import MESSAGE_KINDS, message_facts
from palermo_notify.messages import render_message

OCCURRED_AT = dt.datetime(2025, 1, 15, 9, 30, tzinfo=dt.UTC)
LINKS = {
    "step_url": "https://palermo.example.org/api/v1/draw/phases/phase-1",
    "notification_url": "https://palermo.example.org/api/v1/notify/notifications/n-1",
}


@pytest.fixture
def facts(events):
    return message_facts(events.desk_review_completed(), occurred_at=OCCURRED_AT)


@pytest.mark.parametrize(
    ("language", "date"),
    [
        ("ar", "2025"),
        ("zh", "2025年1月15日"),
        ("en", "January 15, 2025"),
        ("fr", "15 janvier 2025"),
        ("ru", "15 января 2025"),
        ("es", "15 de enero de 2025"),
    ],
)
def test_message_in_language(facts, language, date):
    message = render_message("desk_review_completed", language, facts, LINKS)

    assert message.language == language
    assert "ITA" in message.subject
    assert date in message.body
    assert LINKS["step_url"] in message.body
    assert LINKS["notification_url"] in message.body


@pytest.mark.parametrize("kind", sorted(set(MESSAGE_KINDS.values())))
def test_every_kind_in_every_language(facts, kind):
    subjects = {
        render_message(kind, language.value, facts, LINKS).subject
        for language in Language
    }

    assert len(subjects) == len(Language)


def test_unknown_language_falls_back(facts, caplog):
    caplog.set_level(logging.WARNING, logger="palermo_notify.messages")

    message = render_message("desk_review_completed", "de", facts, LINKS)

    assert message.language == "en"
    assert message.subject == "Palermo: desk review of ITA completed"
    assert "sending it in English" in caplog.text


def test_facts_exclude_review_content(facts):
    assert "observation_count" not in facts
    assert set(facts) == {
        "phase_id",
        "state_under_review",
        "instrument",
        "cluster",
        "review_id",
        "reviewing_states",
        "replaced_states",
        "occurred_at",
    }


def test_reviewers_change_facts_name_replaced(events):
    payload = events.desk_review_reviewers_changed()

    facts = message_facts(payload, occurred_at=OCCURRED_AT)

    assert facts["reviewing_states"] == ["FRA", "ARG"]
    assert facts["replaced_states"] == ["BRA"]


def test_questionnaire_facts_name_state(events):
    facts = message_facts(events.questionnaire_submitted(), occurred_at=OCCURRED_AT)

    assert facts["state_under_review"] == "ITA"
    assert "response_id" not in facts
    assert "questionnaire_id" not in facts
