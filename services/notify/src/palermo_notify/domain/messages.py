"""What an e-mail may say about an event, without I/O.

Messages carry links, never restricted content: `message_facts` copies only
the codes and dates listed in `_FACT_FIELDS` from an event's payload, so
questionnaire answers and observations cannot reach a mailbox even if a
later version of an event carries them.
"""

import datetime as dt
from typing import Any

from palermo_shared.contracts import (
    DeskReviewCompleted,
    DeskReviewOverdue,
    DeskReviewReminderDue,
    DeskReviewReviewersChanged,
    DeskReviewStarted,
    LotsDrawn,
    QuestionnaireSubmitted,
)

_FACT_FIELDS = (
    "phase_id",
    "state_under_review",
    "state",
    "instrument",
    "cluster",
    "review_id",
)

# Message kind, by event type: the name of the template to render.
MESSAGE_KINDS = {
    LotsDrawn.event_type: "lots_drawn",
    QuestionnaireSubmitted.event_type: "questionnaire_submitted",
    DeskReviewStarted.event_type: "desk_review_started",
    DeskReviewCompleted.event_type: "desk_review_completed",
    DeskReviewReviewersChanged.event_type: "desk_review_reviewers_changed",
    DeskReviewReminderDue.event_type: "desk_review_reminder_due",
    DeskReviewOverdue.event_type: "desk_review_overdue",
}


def message_facts(payload: Any, *, occurred_at: dt.datetime) -> dict[str, Any]:
    """Return the facts an e-mail may show about an event."""
    data = payload.model_dump(mode="json")
    facts: dict[str, Any] = {
        name: data[name] for name in _FACT_FIELDS if data.get(name) is not None
    }
    facts.setdefault("state_under_review", facts.get("state"))
    facts["reviewing_states"] = _reviewing_states(data)
    facts["replaced_states"] = [str(code) for code in data.get("removed") or []]
    facts["occurred_at"] = occurred_at
    return facts


def _reviewing_states(data: dict[str, Any]) -> list[str]:
    reviewers = data.get("reviewers") or []
    return [r["iso3"] if isinstance(r, dict) else str(r) for r in reviewers]


def step_path(event_type: str, facts: dict[str, Any]) -> str:
    """Return the gateway path of the resource an event is about."""
    if "review_id" in facts and event_type in (
        DeskReviewStarted.event_type,
        DeskReviewCompleted.event_type,
        DeskReviewReviewersChanged.event_type,
        DeskReviewReminderDue.event_type,
        DeskReviewOverdue.event_type,
    ):
        return f"/api/v1/review/reviews/{facts['review_id']}"
    return f"/api/v1/draw/phases/{facts['phase_id']}"


def gateway_url(public_base_url: str, path: str) -> str:
    """Return the URL of a gateway path under the public base URL."""
    return public_base_url.rstrip("/") + path


def notification_url(public_base_url: str, notification_id: str) -> str:
    """Return the gateway URL at which a notification is read."""
    path = f"/api/v1/notify/notifications/{notification_id}"
    return gateway_url(public_base_url, path)
