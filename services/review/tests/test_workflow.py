"""The desk review's state machine."""

import pytest

from palermo_review.domain.workflow import (
    TRANSITIONS,
    ReviewStatus,
    Step,
    missing_for_completion,
    next_status,
)
from palermo_shared.errors import Conflict

S = ReviewStatus
STAGE_CHANGES = [
    (S.AWAITING_LOTS, Step.RECEIVE_LOTS, S.IN_PROGRESS),
    (S.AWAITING_QUESTIONNAIRE, Step.RECEIVE_QUESTIONNAIRE, S.IN_PROGRESS),
    (S.IN_PROGRESS, Step.AGREE, S.AGREEING),
    (S.AGREEING, Step.OPEN_COMMENTS, S.COMMENTING),
    (S.AGREEING, Step.REOPEN, S.IN_PROGRESS),
    (S.AGREEING, Step.WITHDRAW_LAST_AGREEMENT, S.IN_PROGRESS),
    (S.COMMENTING, Step.CHANGE_REVIEWERS, S.AGREEING),
    (S.COMMENTING, Step.WITHDRAW_LAST_AGREEMENT, S.IN_PROGRESS),
    (S.COMMENTING, Step.COMPLETE, S.COMPLETED),
]
ALLOWED = [
    (status, step, target)
    for status, steps in TRANSITIONS.items()
    for step, target in steps.items()
]
REJECTED = [
    (status, step)
    for status in ReviewStatus
    for step in Step
    if step not in TRANSITIONS[status]
]


@pytest.mark.parametrize(("current", "step", "expected"), ALLOWED)
def test_next_status_allowed(current, step, expected) -> None:
    assert next_status("r-1", current, step) is expected


@pytest.mark.parametrize(("current", "step", "expected"), STAGE_CHANGES)
def test_stage_changes_listed(current, step, expected) -> None:
    assert TRANSITIONS[current][step] is expected


def test_other_steps_keep_stage() -> None:
    changes = {(c, s) for c, s, _ in STAGE_CHANGES}
    self_loops = [(c, s, t) for c, s, t in ALLOWED if (c, s) not in changes]

    assert all(current is target for current, _, target in self_loops)


@pytest.mark.parametrize(("current", "step"), REJECTED)
def test_next_status_rejected(current, step) -> None:
    with pytest.raises(Conflict) as raised:
        next_status("r-1", current, step)

    body = raised.value.body()
    assert body["current_state"] == current.value
    assert body["allowed"] == [s.value for s in TRANSITIONS[current]]
    assert current.value in body["detail"]
    assert "r-1" in body["detail"]


@pytest.mark.parametrize(
    ("step", "start"),
    [
        (Step.RECORD_OBSERVATION, "cannot record an observation in review r-1:"),
        (Step.AGREE, "cannot agree to the observations of review r-1:"),
        (Step.COMMENT, "cannot comment on review r-1:"),
        (Step.APPOINT, "cannot appoint an expert to review r-1:"),
        (Step.COMPLETE, "cannot complete review r-1:"),
    ],
)
def test_rejected_step_named_in_words(step, start) -> None:
    with pytest.raises(Conflict) as raised:
        next_status("r-1", S.COMPLETED, step)

    assert raised.value.body()["detail"].startswith(start)


def test_missing_parts_refuse_allowed_step() -> None:
    with pytest.raises(Conflict) as raised:
        next_status("r-1", S.COMMENTING, Step.COMPLETE, missing=["the waiver"])

    body = raised.value.body()
    assert body["missing"] == ["the waiver"]
    assert "the waiver" in body["detail"]


def test_completed_allows_no_work() -> None:
    with pytest.raises(Conflict) as raised:
        next_status("r-1", S.COMPLETED, Step.RECORD_OBSERVATION)

    assert "complete" not in raised.value.body()["allowed"]


def test_missing_names_each_reviewer() -> None:
    missing = missing_for_completion(
        reviewers=["FRA", "BRA"], cleared_agreements={"FRA"}, comments_closed=False
    )

    assert len(missing) == 2
    assert "BRA" in missing[0]
    assert "comments" in missing[1]


def test_nothing_missing_when_done() -> None:
    missing = missing_for_completion(
        reviewers=["FRA", "BRA"],
        cleared_agreements={"FRA", "BRA"},
        comments_closed=True,
    )

    assert missing == []
