"""Desk reviews: their ids, loading, stage changes and the events they publish."""

import datetime as dt
import logging
import uuid

from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_review.domain.workflow import ReviewStatus, Step, next_status
from palermo_review.tables import DeskReview, StageChange
from palermo_shared.contracts import DeskReviewStageChanged
from palermo_shared.errors import NotFound
from palermo_shared.events import Envelope, EventPayload, new_event
from palermo_shared.outbox import record_event
from palermo_shared.reference.instruments import Cluster, Instrument

logger = logging.getLogger(__name__)

SOURCE = "/palermo/review"
_REVIEW_NAMESPACE = uuid.UUID("5b0c1f0e-3f57-4c52-9d0c-7a1e2f6b8d31")


def review_id(phase_id: str, state: str, instrument: str, cluster: str) -> str:
    """Return the review's id, derived from its natural key so replays agree."""
    return str(
        uuid.uuid5(_REVIEW_NAMESPACE, f"{phase_id}/{state}/{instrument}/{cluster}")
    )


def subject_of(review: DeskReview) -> str:
    """Return the event subject, the Kafka key that keeps a review's events in order."""
    return f"{review.state_under_review}/{review.instrument}"


def states_of(review: DeskReview) -> list[str]:
    """Return the States taking part in a review: the State under review first."""
    return [review.state_under_review, *(review.reviewers or [])]


async def get_review(
    session: AsyncSession, rid: str, *, for_update: bool = False
) -> DeskReview:
    """Return the review, locked until the transaction ends with `for_update`.

    Every write passes `for_update`: on PostgreSQL two requests would
    otherwise both pass a stage check, so that a review completed twice
    publishes its outcome twice. SQLite writers already run one at a time.
    """
    review = await session.get(DeskReview, rid, with_for_update=for_update)
    if review is None:
        raise NotFound(f"desk review {rid} not found")
    return review


def check_step(
    review: DeskReview, step: Step, *, action: str | None = None
) -> ReviewStatus:
    """Return the status `step` leads to, or raise `Conflict` if not allowed now.

    `action` names the attempted action in the conflict's message when it
    is not `step` itself but is allowed at the same stages.
    """
    return next_status(review.id, ReviewStatus(review.status), step, action=action)


def publish(
    session: AsyncSession,
    review: DeskReview,
    payload: EventPayload,
    cause: Envelope | None = None,
) -> None:
    """Record an event about `review` in the caller's transaction."""
    envelope = new_event(
        payload, source=SOURCE, subject=subject_of(review), cause=cause
    )
    record_event(session, envelope)
    logger.info("review %s: recorded %s", review.id, envelope.type)


def take_step(
    session: AsyncSession,
    review: DeskReview,
    step: Step,
    now: dt.datetime,
    cause: Envelope | None = None,
) -> None:
    """Apply `step`; a change of stage is stored and published."""
    current = ReviewStatus(review.status)
    target = next_status(review.id, current, step)
    if target is current:
        return
    review.status = target.value
    session.add(review)
    session.add(
        StageChange(
            review_id=review.id,
            from_stage=current.value,
            to_stage=target.value,
            changed_at=now,
        )
    )
    payload = DeskReviewStageChanged(
        review_id=review.id,
        phase_id=review.phase_id,
        state_under_review=review.state_under_review,
        instrument=Instrument(review.instrument),
        cluster=Cluster(review.cluster),
        regional_group=review.regional_group,
        from_stage=current.value,
        to_stage=target.value,
        changed_at=now,
    )
    publish(session, review, payload, cause)
