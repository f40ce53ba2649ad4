"""Which event notifies whom, kept as data.

Each `NotificationRule` names the audiences of one event type: the State
under review, the reviewing States and the Secretariat. For each State
audience it lists the contact roles that receive e-mail. The States
themselves receive an inbox notification and one per webhook subscription,
whatever the roles. A rule with an `address_field` instead e-mails the one
address its event names, and no State. Events without a rule notify nobody. A
`ReviewPhaseOpened` event has none, because it concerns every party at once.

A submitted questionnaire does not name the reviewing States, so the notify
service keeps them from `LotsDrawn` events and passes them in as `drawn`.

Recipient States are ISO 3166-1 alpha-3 codes, upper case, without repeats,
in the order the rule lists them: the State under review first.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from palermo_notify.domain.contacts import ContactRole
from palermo_shared.contracts import (
    AccountInvited,
    DeskReviewCompleted,
    DeskReviewOverdue,
    DeskReviewReminderDue,
    DeskReviewReviewersChanged,
    DeskReviewStarted,
    LotsDrawn,
    QuestionnaireSubmitted,
)


class Audience(StrEnum):
    STATE_UNDER_REVIEW = "state_under_review"
    REVIEWING_STATES = "reviewing_states"
    SECRETARIAT = "secretariat"


@dataclass(frozen=True)
class ReviewParties:
    """The States an event concerns."""

    state_under_review: str
    reviewing_states: tuple[str, ...]


@dataclass(frozen=True)
class NotificationRule:
    event_type: str
    description: str
    # Contact roles that receive e-mail, per State audience.
    roles: dict[Audience, tuple[ContactRole, ...]]
    notifies_secretariat: bool
    # Payload field naming the one e-mail address the event goes to, for an
    # event addressed to a person rather than to States (an invitation).
    address_field: str | None = None


@dataclass(frozen=True)
class Recipients:
    """Recipients of one event: States, e-mailed roles per State, Secretariat."""

    states: tuple[str, ...] = ()
    roles_by_state: dict[str, frozenset[ContactRole]] = field(default_factory=dict)
    secretariat: bool = False
    # E-mail addresses named by the event itself, outside any State's contacts.
    addresses: tuple[str, ...] = ()


BOTH_ROLES = (ContactRole.FOCAL_POINT, ContactRole.EXPERT)
FOCAL_POINT_ONLY = (ContactRole.FOCAL_POINT,)

RULES: tuple[NotificationRule, ...] = (
    NotificationRule(
        event_type=LotsDrawn.event_type,
        description="Lots drawn: the State under review learns its reviewers, "
        "and the reviewing States learn whom they review.",
        roles={
            Audience.STATE_UNDER_REVIEW: FOCAL_POINT_ONLY,
            Audience.REVIEWING_STATES: BOTH_ROLES,
        },
        notifies_secretariat=True,
    ),
    NotificationRule(
        event_type=QuestionnaireSubmitted.event_type,
        description="Self-assessment submitted: the reviewing States may "
        "start reading it.",
        roles={
            Audience.STATE_UNDER_REVIEW: FOCAL_POINT_ONLY,
            Audience.REVIEWING_STATES: BOTH_ROLES,
        },
        notifies_secretariat=True,
    ),
    NotificationRule(
        event_type=DeskReviewStarted.event_type,
        description="Desk review started: the reviewing experts record observations.",
        roles={
            Audience.STATE_UNDER_REVIEW: FOCAL_POINT_ONLY,
            Audience.REVIEWING_STATES: BOTH_ROLES,
        },
        notifies_secretariat=False,
    ),
    NotificationRule(
        event_type=DeskReviewCompleted.event_type,
        description="Desk review completed: both parties and the Secretariat "
        "receive the outcome.",
        roles={
            Audience.STATE_UNDER_REVIEW: BOTH_ROLES,
            Audience.REVIEWING_STATES: BOTH_ROLES,
        },
        notifies_secretariat=True,
    ),
    NotificationRule(
        event_type=DeskReviewReviewersChanged.event_type,
        description="Reviewers changed by a redraw: the State under review, the "
        "new reviewers and the replaced ones learn of the hand-over.",
        roles={
            Audience.STATE_UNDER_REVIEW: FOCAL_POINT_ONLY,
            Audience.REVIEWING_STATES: BOTH_ROLES,
        },
        notifies_secretariat=True,
    ),
    NotificationRule(
        event_type=DeskReviewReminderDue.event_type,
        description="Desk review stage due soon: the States that still have to "
        "act on it are reminded.",
        roles={
            Audience.STATE_UNDER_REVIEW: FOCAL_POINT_ONLY,
            Audience.REVIEWING_STATES: BOTH_ROLES,
        },
        notifies_secretariat=False,
    ),
    NotificationRule(
        event_type=DeskReviewOverdue.event_type,
        description="Desk review stage overdue: the States that still have to "
        "act on it and the Secretariat are told.",
        roles={
            Audience.STATE_UNDER_REVIEW: FOCAL_POINT_ONLY,
            Audience.REVIEWING_STATES: BOTH_ROLES,
        },
        notifies_secretariat=True,
    ),
    NotificationRule(
        event_type=AccountInvited.event_type,
        description="Account registered: the invited person receives the "
        "activation link at the address the Secretariat registered.",
        roles={},
        notifies_secretariat=False,
        address_field="email",
    ),
)

RULES_BY_EVENT_TYPE = {rule.event_type: rule for rule in RULES}


def distinct_states(states: Iterable[str]) -> tuple[str, ...]:
    """Return the codes upper-cased, first occurrence kept, empty codes dropped."""
    seen: dict[str, None] = {}
    for state in states:
        code = state.strip().upper()
        if code:
            seen.setdefault(code, None)
    return tuple(seen)


def _lots_drawn(payload: LotsDrawn, _drawn: Sequence[str]) -> ReviewParties:
    reviewers = tuple(reviewer.iso3 for reviewer in payload.reviewers)
    return ReviewParties(payload.state_under_review, reviewers)


def _questionnaire_submitted(
    payload: QuestionnaireSubmitted, drawn: Sequence[str]
) -> ReviewParties:
    # `drawn` is empty when the lots of this phase and instrument are not
    # known yet, and then only the submitting State is notified.
    return ReviewParties(payload.state, tuple(drawn))


def _desk_review(
    payload: DeskReviewStarted | DeskReviewCompleted, _drawn: Sequence[str]
) -> ReviewParties:
    return ReviewParties(payload.state_under_review, tuple(payload.reviewers))


def _reviewers_changed(
    payload: DeskReviewReviewersChanged, _drawn: Sequence[str]
) -> ReviewParties:
    # The replaced reviewers are notified too, because they lose access.
    concerned = (*payload.reviewers, *payload.removed)
    return ReviewParties(payload.state_under_review, concerned)


def _deadline_concerned(
    payload: DeskReviewReminderDue | DeskReviewOverdue, _drawn: Sequence[str]
) -> ReviewParties:
    # Only the States that still have to act on the stage are notified. The
    # State under review is one of them only when it is listed.
    under_review = payload.state_under_review
    listed = under_review if under_review in payload.states else ""
    others = tuple(state for state in payload.states if state != under_review)
    return ReviewParties(listed, others)


PARTIES_OF: dict[str, Callable[[Any, Sequence[str]], ReviewParties]] = {
    LotsDrawn.event_type: _lots_drawn,
    QuestionnaireSubmitted.event_type: _questionnaire_submitted,
    DeskReviewStarted.event_type: _desk_review,
    DeskReviewCompleted.event_type: _desk_review,
    DeskReviewReviewersChanged.event_type: _reviewers_changed,
    DeskReviewReminderDue.event_type: _deadline_concerned,
    DeskReviewOverdue.event_type: _deadline_concerned,
}


def plan_recipients(
    event_type: str, payload: Any, drawn: Sequence[str] = ()
) -> Recipients:
    """Return the recipients of an event; empty for an event without a rule."""
    rule = RULES_BY_EVENT_TYPE.get(event_type)
    if rule is None:
        return Recipients()
    if rule.address_field is not None:
        return Recipients(addresses=(getattr(payload, rule.address_field),))
    parties = PARTIES_OF[event_type](payload, drawn)

    under_review = distinct_states([parties.state_under_review])
    reviewing = [
        state
        for state in distinct_states(parties.reviewing_states)
        if state not in under_review
    ]
    roles_by_state: dict[str, frozenset[ContactRole]] = {}
    for state in under_review:
        roles_by_state[state] = frozenset(rule.roles[Audience.STATE_UNDER_REVIEW])
    for state in reviewing:
        roles_by_state[state] = frozenset(rule.roles[Audience.REVIEWING_STATES])

    return Recipients(
        states=(*under_review, *reviewing),
        roles_by_state=roles_by_state,
        secretariat=rule.notifies_secretariat,
    )


def recipients_of(
    event_type: str, payload: Any, drawn: Sequence[str] = ()
) -> tuple[str, ...]:
    """Return the States that an event notifies; none for an event without a rule."""
    return plan_recipients(event_type, payload, drawn).states
