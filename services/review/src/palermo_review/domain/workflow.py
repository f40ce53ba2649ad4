"""The desk review's state machine; no I/O.

A review exists from the first of its two inputs (the lots drawn, the
questionnaire submitted), starts when both are in, and is completed by
its reviewers:

    awaiting_lots ---------.
                            +--> in_progress --> completed
    awaiting_questionnaire -'
"""

from enum import StrEnum

from palermo_shared.errors import Conflict


class ReviewStatus(StrEnum):
    AWAITING_LOTS = "awaiting_lots"
    AWAITING_QUESTIONNAIRE = "awaiting_questionnaire"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class Step(StrEnum):
    RECEIVE_LOTS = "receive_lots"
    RECEIVE_QUESTIONNAIRE = "receive_questionnaire"
    RECORD_OBSERVATION = "record_observation"
    COMPLETE = "complete"


TRANSITIONS: dict[ReviewStatus, dict[Step, ReviewStatus]] = {
    ReviewStatus.AWAITING_LOTS: {Step.RECEIVE_LOTS: ReviewStatus.IN_PROGRESS},
    ReviewStatus.AWAITING_QUESTIONNAIRE: {
        Step.RECEIVE_QUESTIONNAIRE: ReviewStatus.IN_PROGRESS
    },
    ReviewStatus.IN_PROGRESS: {
        Step.RECORD_OBSERVATION: ReviewStatus.IN_PROGRESS,
        Step.COMPLETE: ReviewStatus.COMPLETED,
    },
    ReviewStatus.COMPLETED: {},
}


def next_status(review_id: str, current: ReviewStatus, step: Step) -> ReviewStatus:
    """Return the status after `step`, or raise `Conflict` naming the allowed steps."""
    allowed = TRANSITIONS[current]
    if step not in allowed:
        names = ", ".join(s.value for s in allowed) or "none"
        raise Conflict(
            f"cannot {step.value.replace('_', ' ')} review {review_id}: it is "
            f"{current.value}; allowed steps: {names}",
            current_state=current.value,
            allowed=[s.value for s in allowed],
        )
    return allowed[step]
