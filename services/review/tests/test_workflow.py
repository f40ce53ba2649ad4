"""The desk review's state machine."""

import pytest

from palermo_review.domain.workflow import (
    TRANSITIONS,
    ReviewStatus,
    Step,
    next_status,
)
from palermo_shared.errors import Conflict

ALLOWED = [
    (ReviewStatus.AWAITING_LOTS, Step.RECEIVE_LOTS, ReviewStatus.IN_PROGRESS),
    (
        ReviewStatus.AWAITING_QUESTIONNAIRE,
        Step.RECEIVE_QUESTIONNAIRE,
        ReviewStatus.IN_PROGRESS,
    ),
    (ReviewStatus.IN_PROGRESS, Step.RECORD_OBSERVATION, ReviewStatus.IN_PROGRESS),
    (ReviewStatus.IN_PROGRESS, Step.COMPLETE, ReviewStatus.COMPLETED),
]
REJECTED = [
    (status, step)
    for status in ReviewStatus
    for step in Step
    if (status, step) not in {(s, t) for s, t, _ in ALLOWED}
]


@pytest.mark.parametrize(("current", "step", "expected"), ALLOWED)
def test_next_status_allowed(current, step, expected) -> None:
    assert next_status("r-1", current, step) is expected


@pytest.mark.parametrize(("current", "step"), REJECTED)
def test_next_status_rejected(current, step) -> None:
    with pytest.raises(Conflict) as raised:
        next_status("r-1", current, step)

    body = raised.value.body()
    assert body["current_state"] == current.value
    assert body["allowed"] == [s.value for s in TRANSITIONS[current]]
    assert current.value in body["detail"]
    assert "r-1" in body["detail"]


def test_completed_allows_nothing() -> None:
    with pytest.raises(Conflict) as raised:
        next_status("r-1", ReviewStatus.COMPLETED, Step.COMPLETE)

    assert raised.value.body()["allowed"] == []
    assert "allowed steps: none" in raised.value.body()["detail"]
