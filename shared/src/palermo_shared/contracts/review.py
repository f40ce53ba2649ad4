"""Events of the review service: desk reviews and their outcome."""

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from palermo_shared.events import TOPIC_REVIEW, EventPayload, event
from palermo_shared.reference.instruments import Cluster, Instrument, WorkingGroup


@event("palermo.review.desk_review_started", version=1, topic=TOPIC_REVIEW)
class DeskReviewStarted(EventPayload):
    review_id: str
    phase_id: str
    state_under_review: str
    instrument: Instrument
    cluster: Cluster
    reviewers: list[str]


@event("palermo.review.desk_review_completed", version=1, topic=TOPIC_REVIEW)
class DeskReviewCompleted(EventPayload):
    review_id: str
    phase_id: str
    state_under_review: str
    instrument: Instrument
    cluster: Cluster
    reviewers: list[str]
    observation_count: int
    completed_at: dt.datetime


@event("palermo.review.desk_review_reviewers_changed", version=1, topic=TOPIC_REVIEW)
class DeskReviewReviewersChanged(EventPayload):
    """A redraw replaced reviewers of a desk review that was not completed."""

    review_id: str
    phase_id: str
    state_under_review: str
    instrument: Instrument
    cluster: Cluster
    reviewers: list[str]
    added: list[str]
    removed: list[str]
    redraw_number: int


@event("palermo.review.desk_review_stage_changed", version=1, topic=TOPIC_REVIEW)
class DeskReviewStageChanged(EventPayload):
    """A desk review moved from one stage of its workflow to the next."""

    review_id: str
    phase_id: str
    state_under_review: str
    instrument: Instrument
    cluster: Cluster
    regional_group: str | None = None
    from_stage: str
    to_stage: str
    changed_at: dt.datetime


@event("palermo.review.desk_review_reminder_due", version=1, topic=TOPIC_REVIEW)
class DeskReviewReminderDue(EventPayload):
    """A stage of a desk review is due soon and is not done yet.

    `states` are the States that still have to act on the stage.
    """

    review_id: str
    phase_id: str
    state_under_review: str
    instrument: Instrument
    cluster: Cluster
    stage: str
    due_at: dt.datetime
    days_left: int
    states: list[str]


@event("palermo.review.desk_review_overdue", version=1, topic=TOPIC_REVIEW)
class DeskReviewOverdue(EventPayload):
    """A stage of a desk review passed its due date, published once per due date.

    `states` are the States that still have to act on the stage.
    """

    review_id: str
    phase_id: str
    state_under_review: str
    instrument: Instrument
    cluster: Cluster
    stage: str
    due_at: dt.datetime
    days_overdue: int
    states: list[str] = Field(default_factory=list)


class OutcomeObservation(BaseModel):
    """One agreed observation of a desk review's outcome."""

    model_config = ConfigDict(frozen=True)

    article: int
    kind: str
    text: str


@event("palermo.review.review_outcome_submitted", version=1, topic=TOPIC_REVIEW)
class ReviewOutcomeSubmitted(EventPayload):
    """The outcome of a completed desk review, for its working group and the
    Conference of the Parties. It carries no score, grade or ranking.

    The summary and observations stay confidential until the State under
    review publishes them (`ReviewOutcomePublished`).
    """

    review_id: str
    phase_id: str
    state_under_review: str
    instrument: Instrument
    cluster: Cluster
    working_group: WorkingGroup
    submitted_to: list[str]
    summary: str
    observations: list[OutcomeObservation]
    comments: str
    submitted_at: dt.datetime


@event("palermo.review.review_outcome_summary_corrected", version=1, topic=TOPIC_REVIEW)
class ReviewOutcomeSummaryCorrected(EventPayload):
    """The Secretariat corrected the summary of a completed desk review.

    `summary` replaces the one its `ReviewOutcomeSubmitted` carried, and
    `summary_revision` counts the summary's changes since the review began.
    """

    review_id: str
    phase_id: str
    state_under_review: str
    instrument: Instrument
    cluster: Cluster
    working_group: WorkingGroup
    reviewers: list[str]
    summary: str
    summary_revision: int
    corrected_at: dt.datetime


@event("palermo.review.review_outcome_published", version=1, topic=TOPIC_REVIEW)
class ReviewOutcomePublished(EventPayload):
    """The parts of an outcome that the State under review's focal point made public.

    Each decision replaces the previous one whole: `summary` is None while
    the summary stays confidential, and `observations` lists only those
    published. A withdrawal publishes neither.
    """

    review_id: str
    phase_id: str
    state_under_review: str
    instrument: Instrument
    cluster: Cluster
    summary: str | None
    observations: list[OutcomeObservation]
    decided_at: dt.datetime
