"""Desk reviews: opening them from events, observations and completion."""

import logging
import uuid

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_review.domain.workflow import ReviewStatus, Step, next_status
from palermo_review.tables import DeskReview, Observation
from palermo_shared.clock import utcnow
from palermo_shared.contracts import (
    DeskReviewCompleted,
    DeskReviewReviewersChanged,
    DeskReviewStarted,
    LotsDrawn,
    LotsRedrawn,
    QuestionnaireSubmitted,
)
from palermo_shared.errors import Forbidden, InvalidInput, NotFound
from palermo_shared.events import Envelope, new_event
from palermo_shared.outbox import record_event
from palermo_shared.reference.instruments import ARTICLES, Cluster, Instrument

logger = logging.getLogger(__name__)

SOURCE = "/palermo/review"
_REVIEW_NAMESPACE = uuid.UUID("5b0c1f0e-3f57-4c52-9d0c-7a1e2f6b8d31")


def review_id(phase_id: str, state: str, instrument: str, cluster: str) -> str:
    """Return the review's id, derived from its natural key so replays agree."""
    return str(
        uuid.uuid5(_REVIEW_NAMESPACE, f"{phase_id}/{state}/{instrument}/{cluster}")
    )


async def _get_or_create(
    session: AsyncSession,
    phase_id: str,
    state: str,
    instrument: str,
    cluster: str,
    *,
    initial: ReviewStatus,
) -> DeskReview:
    rid = review_id(phase_id, state, instrument, cluster)
    review = await session.get(DeskReview, rid)
    if review is None:
        review = DeskReview(
            id=rid,
            phase_id=phase_id,
            state_under_review=state,
            instrument=instrument,
            cluster=cluster,
            status=initial.value,
        )
        session.add(review)
    return review


async def receive_lots(session: AsyncSession, cause: Envelope, lots: LotsDrawn) -> None:
    for cluster in lots.clusters:
        review = await _get_or_create(
            session,
            lots.phase_id,
            lots.state_under_review,
            lots.instrument.value,
            cluster.value,
            initial=ReviewStatus.AWAITING_QUESTIONNAIRE,
        )
        review.reviewers = [r.iso3 for r in lots.reviewers]
        review.lots_drawn_at = utcnow()
        if review.status == ReviewStatus.AWAITING_LOTS:
            _start(session, cause, review, Step.RECEIVE_LOTS)


async def receive_redraw(
    session: AsyncSession, cause: Envelope, redrawn: LotsRedrawn
) -> None:
    """Give the review the redrawn pair; a completed review keeps its reviewers.

    Access follows `reviewers`, so a replaced reviewer can no longer act on
    the review and the new one can.
    """
    reviewers = [r.iso3 for r in redrawn.reviewers]
    for cluster in redrawn.clusters:
        review = await _get_or_create(
            session,
            redrawn.phase_id,
            redrawn.state_under_review,
            redrawn.instrument.value,
            cluster.value,
            initial=ReviewStatus.AWAITING_QUESTIONNAIRE,
        )
        if review.status == ReviewStatus.COMPLETED:
            logger.info(
                "desk review %s was completed before redraw %d; its reviewers stay",
                review.id,
                redrawn.redraw_number,
            )
            continue
        previous, review.reviewers = review.reviewers or [], reviewers
        review.lots_drawn_at = utcnow()
        session.add(review)
        if review.status == ReviewStatus.AWAITING_LOTS:
            _start(session, cause, review, Step.RECEIVE_LOTS)
        elif previous != reviewers:
            _record_reviewers_changed(session, cause, review, previous, redrawn)


def _record_reviewers_changed(
    session: AsyncSession,
    cause: Envelope,
    review: DeskReview,
    previous: list[str],
    redrawn: LotsRedrawn,
) -> None:
    reviewers = review.reviewers or []
    payload = DeskReviewReviewersChanged(
        review_id=review.id,
        phase_id=review.phase_id,
        state_under_review=review.state_under_review,
        instrument=Instrument(review.instrument),
        cluster=Cluster(review.cluster),
        reviewers=reviewers,
        added=[s for s in reviewers if s not in previous],
        removed=[s for s in previous if s not in reviewers],
        redraw_number=redrawn.redraw_number,
    )
    event = new_event(payload, source=SOURCE, subject=_subject(review), cause=cause)
    record_event(session, event)


async def receive_questionnaire(
    session: AsyncSession, cause: Envelope, submitted: QuestionnaireSubmitted
) -> None:
    review = await _get_or_create(
        session,
        submitted.phase_id,
        submitted.state,
        submitted.instrument.value,
        submitted.cluster.value,
        initial=ReviewStatus.AWAITING_LOTS,
    )
    review.response_id = submitted.response_id
    review.questionnaire_submitted_at = submitted.submitted_at
    if review.status == ReviewStatus.AWAITING_QUESTIONNAIRE:
        _start(session, cause, review, Step.RECEIVE_QUESTIONNAIRE)


def _start(
    session: AsyncSession, cause: Envelope, review: DeskReview, step: Step
) -> None:
    review.status = next_status(review.id, ReviewStatus(review.status), step).value
    review.started_at = utcnow()
    session.add(review)
    payload = DeskReviewStarted(
        review_id=review.id,
        phase_id=review.phase_id,
        state_under_review=review.state_under_review,
        instrument=Instrument(review.instrument),
        cluster=Cluster(review.cluster),
        reviewers=review.reviewers or [],
    )
    record_event(
        session,
        new_event(payload, source=SOURCE, subject=_subject(review), cause=cause),
    )


def _subject(review: DeskReview) -> str:
    return f"{review.state_under_review}/{review.instrument}"


async def get_review(session: AsyncSession, rid: str) -> DeskReview:
    review = await session.get(DeskReview, rid)
    if review is None:
        raise NotFound(f"desk review {rid} not found")
    return review


async def add_observation(
    session: AsyncSession,
    rid: str,
    *,
    reviewer: str,
    article: int,
    kind: str,
    text: str,
) -> Observation:
    review = await get_review(session, rid)
    next_status(review.id, ReviewStatus(review.status), Step.RECORD_OBSERVATION)
    if reviewer not in (review.reviewers or []):
        raise Forbidden(f"{reviewer} is not a reviewing State of desk review {rid}")
    articles = ARTICLES[Instrument(review.instrument)][Cluster(review.cluster)]
    if article not in articles:
        raise InvalidInput(
            f"article {article} is not in the {review.cluster} cluster of "
            f"{review.instrument}; expected one of {', '.join(map(str, articles))}",
            field="article",
        )
    observation = Observation(
        id=str(uuid.uuid4()),
        review_id=rid,
        reviewer=reviewer,
        article=article,
        kind=kind,
        text=text,
    )
    session.add(observation)
    return observation


async def complete(session: AsyncSession, rid: str, *, summary: str) -> DeskReview:
    review = await get_review(session, rid)
    review.status = next_status(
        review.id, ReviewStatus(review.status), Step.COMPLETE
    ).value
    review.completed_at = utcnow()
    review.summary = summary
    session.add(review)
    count = await count_observations(session, rid)
    payload = DeskReviewCompleted(
        review_id=review.id,
        phase_id=review.phase_id,
        state_under_review=review.state_under_review,
        instrument=Instrument(review.instrument),
        cluster=Cluster(review.cluster),
        reviewers=review.reviewers or [],
        observation_count=count,
        completed_at=review.completed_at,
    )
    record_event(session, new_event(payload, source=SOURCE, subject=_subject(review)))
    return review


async def count_observations(session: AsyncSession, rid: str) -> int:
    query = select(func.count()).where(Observation.review_id == rid)
    return (await session.exec(query)).one()


async def list_observations(session: AsyncSession, rid: str) -> list[Observation]:
    query = (
        select(Observation)
        .where(Observation.review_id == rid)
        .order_by(col(Observation.created_at))
    )
    return list((await session.exec(query)).all())
