"""The desk review's state machine, kept as data; no I/O.

A review exists from the first of its two inputs (the lots drawn, the
questionnaire submitted) and starts when both are in. The reviewing States'
experts then hold the dialogue and write observations. The first agreement
to the final observations freezes them. Once both reviewing States' focal
points cleared their agreement, the State under review has its comment
period, and then the review can be completed:

    awaiting_lots ---------.
                            +--> in_progress --> agreeing --> commenting --> completed
    awaiting_questionnaire -'        ^            | ^             |
                                     '- reopen ---' '-------------'
                                                    change of reviewers

A change of reviewers withdraws the replaced reviewers' agreements. One
that withdraws the last agreement returns the review to in_progress, from
agreeing or commenting, because nothing keeps the observations frozen.

Steps that keep the stage (an observation, a message) are listed too, so
that every action on a review is checked against its stage in one place.
"""

from enum import StrEnum

from palermo_shared.errors import Conflict


class ReviewStatus(StrEnum):
    AWAITING_LOTS = "awaiting_lots"
    AWAITING_QUESTIONNAIRE = "awaiting_questionnaire"
    IN_PROGRESS = "in_progress"
    AGREEING = "agreeing"
    COMMENTING = "commenting"
    COMPLETED = "completed"


class Step(StrEnum):
    RECEIVE_LOTS = "receive_lots"
    RECEIVE_QUESTIONNAIRE = "receive_questionnaire"
    CHANGE_REVIEWERS = "change_reviewers"
    WITHDRAW_LAST_AGREEMENT = "withdraw_last_agreement"
    APPOINT = "appoint"
    HOLD_DIALOGUE = "hold_dialogue"
    RECORD_OBSERVATION = "record_observation"
    AGREE = "agree"
    OPEN_COMMENTS = "open_comments"
    REOPEN = "reopen"
    COMMENT = "comment"
    EDIT_SUMMARY = "edit_summary"
    COMPLETE = "complete"
    PUBLISH = "publish"
    TRANSLATE = "translate"

    @property
    def action(self) -> str:
        """Return what the step does to a review, as in "cannot {action} review R"."""
        return _STEP_ACTIONS[self]


_STEP_ACTIONS = {
    Step.RECEIVE_LOTS: "receive the lots of",
    Step.RECEIVE_QUESTIONNAIRE: "receive the questionnaire of",
    Step.CHANGE_REVIEWERS: "change the reviewers of",
    Step.WITHDRAW_LAST_AGREEMENT: "withdraw the last agreement of",
    Step.APPOINT: "appoint an expert to",
    Step.HOLD_DIALOGUE: "hold the dialogue of",
    Step.RECORD_OBSERVATION: "record an observation in",
    Step.AGREE: "agree to the observations of",
    Step.OPEN_COMMENTS: "open the comment period of",
    Step.REOPEN: "reopen",
    Step.COMMENT: "comment on",
    Step.EDIT_SUMMARY: "edit the summary of",
    Step.COMPLETE: "complete",
    Step.PUBLISH: "publish the outcome of",
    Step.TRANSLATE: "translate the summary of",
}


OPEN_STAGES = (
    ReviewStatus.AWAITING_LOTS,
    ReviewStatus.AWAITING_QUESTIONNAIRE,
    ReviewStatus.IN_PROGRESS,
    ReviewStatus.AGREEING,
    ReviewStatus.COMMENTING,
)

_S = ReviewStatus
TRANSITIONS: dict[ReviewStatus, dict[Step, ReviewStatus]] = {
    _S.AWAITING_LOTS: {
        Step.RECEIVE_LOTS: _S.IN_PROGRESS,
        Step.APPOINT: _S.AWAITING_LOTS,
    },
    _S.AWAITING_QUESTIONNAIRE: {
        Step.RECEIVE_QUESTIONNAIRE: _S.IN_PROGRESS,
        Step.CHANGE_REVIEWERS: _S.AWAITING_QUESTIONNAIRE,
        Step.APPOINT: _S.AWAITING_QUESTIONNAIRE,
    },
    _S.IN_PROGRESS: {
        Step.CHANGE_REVIEWERS: _S.IN_PROGRESS,
        Step.APPOINT: _S.IN_PROGRESS,
        Step.HOLD_DIALOGUE: _S.IN_PROGRESS,
        Step.RECORD_OBSERVATION: _S.IN_PROGRESS,
        Step.EDIT_SUMMARY: _S.IN_PROGRESS,
        Step.AGREE: _S.AGREEING,
    },
    _S.AGREEING: {
        Step.CHANGE_REVIEWERS: _S.AGREEING,
        Step.APPOINT: _S.AGREEING,
        Step.HOLD_DIALOGUE: _S.AGREEING,
        Step.EDIT_SUMMARY: _S.AGREEING,
        Step.AGREE: _S.AGREEING,
        Step.OPEN_COMMENTS: _S.COMMENTING,
        Step.REOPEN: _S.IN_PROGRESS,
        Step.WITHDRAW_LAST_AGREEMENT: _S.IN_PROGRESS,
    },
    # A new reviewing State has not agreed to the final observations yet.
    _S.COMMENTING: {
        Step.CHANGE_REVIEWERS: _S.AGREEING,
        Step.WITHDRAW_LAST_AGREEMENT: _S.IN_PROGRESS,
        Step.APPOINT: _S.COMMENTING,
        Step.HOLD_DIALOGUE: _S.COMMENTING,
        Step.EDIT_SUMMARY: _S.COMMENTING,
        Step.COMMENT: _S.COMMENTING,
        Step.COMPLETE: _S.COMPLETED,
    },
    _S.COMPLETED: {
        Step.EDIT_SUMMARY: _S.COMPLETED,
        Step.PUBLISH: _S.COMPLETED,
        Step.TRANSLATE: _S.COMPLETED,
    },
}


def next_status(
    review_id: str,
    current: ReviewStatus,
    step: Step,
    *,
    missing: list[str] | None = None,
    action: str | None = None,
) -> ReviewStatus:
    """Return the status after `step`, or raise `Conflict` naming the allowed steps.

    `missing` lists what the review lacks for `step`; when given, the
    conflict names it, and `step` is rejected even where the stage allows it.
    `action` names what the caller attempted, such as "extend a deadline of",
    when it is allowed at the stages of `step` but is not that step.
    """
    allowed = TRANSITIONS[current]
    if step not in allowed or missing:
        names = ", ".join(s.value for s in allowed) or "none"
        attempted = action or step.action
        message = (
            f"cannot {attempted} review {review_id}: it is "
            f"{current.value}; allowed steps: {names}"
        )
        details = {}
        if missing:
            message += "; missing: " + "; ".join(missing)
            details["missing"] = missing
        raise Conflict(
            message,
            current_state=current.value,
            allowed=[s.value for s in allowed],
            **details,
        )
    return allowed[step]


def missing_for_completion(
    *,
    reviewers: list[str],
    cleared_agreements: set[str],
    comments_closed: bool,
) -> list[str]:
    """Return what a review still lacks before it can be completed, in words."""
    missing = [
        f"the agreement of {state}, cleared by its focal point"
        for state in reviewers
        if state not in cleared_agreements
    ]
    if not comments_closed:
        missing.append(
            "the comments of the State under review, cleared by its focal point, "
            "its waiver, or the end of its comment period"
        )
    return missing
