"""Which States each event notifies, kept as data.

`RECIPIENT_RULES` maps an event type to a function of its payload and of
the reviewers drawn for the review it concerns. The notify service keeps
those reviewers from `LotsDrawn` events, because a submitted questionnaire
does not name them. Events without a rule notify no State. A
`ReviewPhaseOpened` event has none, because it concerns every party at once.

Recipients are ISO 3166-1 alpha-3 codes, upper case, without repeats, in
the order the rule lists them.
"""

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from palermo_shared.contracts import (
    DeskReviewCompleted,
    DeskReviewStarted,
    LotsDrawn,
    QuestionnaireSubmitted,
)

RecipientRule = Callable[[Any, Sequence[str]], tuple[str, ...]]


def distinct_states(states: Iterable[str]) -> tuple[str, ...]:
    """Return the codes upper-cased, first occurrence kept, empty codes dropped."""
    seen: dict[str, None] = {}
    for state in states:
        code = state.strip().upper()
        if code:
            seen.setdefault(code, None)
    return tuple(seen)


def _lots_drawn(payload: LotsDrawn, _drawn: Sequence[str]) -> tuple[str, ...]:
    reviewers = [reviewer.iso3 for reviewer in payload.reviewers]
    return distinct_states([payload.state_under_review, *reviewers])


def _questionnaire_submitted(
    payload: QuestionnaireSubmitted, drawn: Sequence[str]
) -> tuple[str, ...]:
    # `drawn` is empty when the lots of this phase and instrument are not
    # known yet, and then only the submitting State is notified.
    return distinct_states([payload.state, *drawn])


def _desk_review(
    payload: DeskReviewStarted | DeskReviewCompleted, _drawn: Sequence[str]
) -> tuple[str, ...]:
    return distinct_states([payload.state_under_review, *payload.reviewers])


RECIPIENT_RULES: dict[str, RecipientRule] = {
    LotsDrawn.event_type: _lots_drawn,
    QuestionnaireSubmitted.event_type: _questionnaire_submitted,
    DeskReviewStarted.event_type: _desk_review,
    DeskReviewCompleted.event_type: _desk_review,
}


def recipients_of(
    event_type: str, payload: Any, drawn_reviewers: Sequence[str] = ()
) -> tuple[str, ...]:
    """Return the States that an event notifies; none for an event without a rule."""
    rule = RECIPIENT_RULES.get(event_type)
    if rule is None:
        return ()
    return rule(payload, drawn_reviewers)
