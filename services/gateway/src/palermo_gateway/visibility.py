"""Event visibility on the stream: the events each caller receives, and their parts.

- The Secretariat sees every event whole.
- A focal point or expert sees the whole events that concern its State: the
  State is named in one of `STATE_FIELDS` of the payload, or is in one of
  `STATE_LIST_FIELDS` (lists of ISO 3166-1 alpha-3 codes, or of objects
  with an `iso3` field as in a draw's reviewers).
- An observer sees the events that `PUBLIC_EVENTS` makes public, with only
  the payload fields published. An event type missing from that table is
  hidden from observers.

Events of the stream itself (`stream.gap`, `stream.reset`) are shown to
every caller.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from palermo_shared.auth import STATE_ROLES, Principal, Role

STATE_FIELDS = ("state_under_review", "state", "recipient_state", "requested_by")
STATE_LIST_FIELDS = ("reviewers", "added", "removed", "replaced", "states")

# Event types that observers see, each with the payload fields they see
# (None: the whole payload). The draw and the registry are public records
# of the working groups. Of a desk review's outcome, observers learn when it
# was submitted, and its summary and observations only once the State under
# review publishes them. Questionnaire answers, the steps of a desk review,
# corrections of its summary and notifications are not public.
PUBLIC_EVENTS: dict[str, frozenset[str] | None] = {
    "palermo.draw.review_phase_opened": None,
    "palermo.draw.seed_committed": None,
    "palermo.draw.meeting_recorded": None,
    "palermo.draw.lots_drawn": None,
    "palermo.draw.lots_redrawn": None,
    "palermo.draw.cohorts_drawn": None,
    "palermo.draw.state_party_updated": None,
    "palermo.questionnaire.questionnaire_published": None,
    "palermo.review.review_outcome_submitted": frozenset(
        {
            "review_id",
            "phase_id",
            "state_under_review",
            "instrument",
            "cluster",
            "working_group",
            "submitted_to",
            "submitted_at",
        }
    ),
    "palermo.review.review_outcome_published": None,
}


@dataclass(frozen=True)
class Audience:
    """Who sees one event: the States it concerns, and whether observers do.

    `redacted_data` is the event data observers see when it differs from
    the whole event.
    """

    states: frozenset[str]
    public: bool
    redacted_data: str | None = None
    everyone: bool = False

    def data_for(self, principal: Principal | None, data: str) -> str | None:
        """Return the event data `principal` sees, or None when it is hidden.

        Without a principal (a caller inside the gateway) the event is whole.
        """
        if self.everyone or principal is None or principal.role is Role.SECRETARIAT:
            return data
        if principal.role in STATE_ROLES:
            return data if principal.state in self.states else None
        if not self.public:
            return None
        return self.redacted_data or data


SHOWN_TO_EVERYONE = Audience(states=frozenset(), public=True, everyone=True)


def audience_of(envelope: dict[str, Any]) -> Audience:
    """Return the audience of one event, given as its JSON envelope."""
    payload = envelope.get("data")
    event_type = envelope.get("type")
    if not isinstance(payload, dict) or not isinstance(event_type, str):
        return Audience(states=frozenset(), public=False)
    return Audience(
        states=frozenset(_states_named(payload)),
        public=event_type in PUBLIC_EVENTS,
        redacted_data=_redacted_data(envelope, PUBLIC_EVENTS.get(event_type)),
    )


def _redacted_data(
    envelope: dict[str, Any], published: frozenset[str] | None
) -> str | None:
    if published is None:
        return None
    kept = {
        name: value for name, value in envelope["data"].items() if name in published
    }
    return json.dumps({**envelope, "data": kept})


def _states_named(payload: dict[str, Any]) -> Iterable[str]:
    for name in STATE_FIELDS:
        value = payload.get(name)
        if isinstance(value, str):
            yield value
    for name in STATE_LIST_FIELDS:
        values = payload.get(name)
        if isinstance(values, list):
            yield from _codes(values)


def _codes(values: list[Any]) -> Iterable[str]:
    for value in values:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict) and isinstance(value.get("iso3"), str):
            yield value["iso3"]
