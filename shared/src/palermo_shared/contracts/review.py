"""Events of the review service: desk reviews and their outcome."""

import datetime as dt

from palermo_shared.events import TOPIC_REVIEW, EventPayload, event
from palermo_shared.reference.instruments import Cluster, Instrument


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
