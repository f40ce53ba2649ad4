"""Stage deadlines of a desk review and whether they are met; no I/O.

Each stage has a target duration. The focal points, experts and
questionnaire stages count from the review's start (the lots drawn); the
reviewers' feedback (their cleared agreement to the final observations)
counts from the day they had both the lots and the questionnaire
responses. The Secretariat may extend a stage by days, with a reason.
"""

import datetime as dt
import math
from dataclasses import dataclass
from enum import StrEnum


class DeadlineStage(StrEnum):
    FOCAL_POINTS = "focal_points"
    EXPERTS = "experts"
    QUESTIONNAIRE = "questionnaire"
    FEEDBACK = "feedback"


@dataclass(frozen=True)
class ReviewProgress:
    """What a review has done so far, with the time each part was done."""

    start: dt.datetime
    responses_received_at: dt.datetime | None
    state_under_review: str
    reviewers: list[str]
    focal_points_named: dict[str, dt.datetime]
    experts_appointed: dict[str, dt.datetime]
    questionnaire_submitted_at: dt.datetime | None
    agreements_cleared: dict[str, dt.datetime]
    extension_days: dict[DeadlineStage, int]


@dataclass(frozen=True)
class Deadline:
    stage: DeadlineStage
    due_at: dt.datetime
    met_at: dt.datetime | None
    extended_days: int
    pending_states: list[str]

    def overdue_days(self, now: dt.datetime) -> int:
        """Return whole days past due (0 when met or not due yet)."""
        if self.met_at is not None or now <= self.due_at:
            return 0
        return max(1, (now - self.due_at).days)

    def days_left(self, now: dt.datetime) -> int:
        return math.ceil((self.due_at - now) / dt.timedelta(days=1))


def _pending(states: list[str], done: dict[str, dt.datetime]) -> list[str]:
    return [s for s in states if s not in done]


def _met_at(states: list[str], done: dict[str, dt.datetime]) -> dt.datetime | None:
    if _pending(states, done) or not states:
        return None
    return max(done[s] for s in states)


def deadlines(
    progress: ReviewProgress, target_days: dict[DeadlineStage, int]
) -> list[Deadline]:
    """Return each stage's deadline; feedback has none before the responses arrive."""
    everyone = [progress.state_under_review, *progress.reviewers]
    done_by_stage = {
        DeadlineStage.FOCAL_POINTS: (everyone, progress.focal_points_named),
        DeadlineStage.EXPERTS: (progress.reviewers, progress.experts_appointed),
        DeadlineStage.FEEDBACK: (progress.reviewers, progress.agreements_cleared),
    }
    submitted = progress.questionnaire_submitted_at
    questionnaire_done = (
        {progress.state_under_review: submitted} if submitted is not None else {}
    )
    done_by_stage[DeadlineStage.QUESTIONNAIRE] = (
        [progress.state_under_review],
        questionnaire_done,
    )
    result = []
    for stage in DeadlineStage:
        origin = progress.start
        if stage is DeadlineStage.FEEDBACK:
            if progress.responses_received_at is None:
                continue
            origin = progress.responses_received_at
        extended = progress.extension_days.get(stage, 0)
        states, done = done_by_stage[stage]
        result.append(
            Deadline(
                stage=stage,
                due_at=origin + dt.timedelta(days=target_days[stage] + extended),
                met_at=_met_at(states, done),
                extended_days=extended,
                pending_states=_pending(states, done),
            )
        )
    return result
