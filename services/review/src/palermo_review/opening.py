"""Opening desk reviews from the draw and the questionnaire, and following redraws."""

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_review.clock import Clock
from palermo_review.domain.workflow import ReviewStatus, Step
from palermo_review.reviews import publish, review_id, take_step
from palermo_review.tables import Agreement, DeskReview
from palermo_shared.contracts import (
    DeskReviewReviewersChanged,
    DeskReviewStarted,
    LotsDrawn,
    LotsRedrawn,
    QuestionnaireSubmitted,
)
from palermo_shared.events import Envelope, EventPayload
from palermo_shared.preload import (
    add_row,
    get_row,
    insert_values,
    new_row,
    preload_rows,
)
from palermo_shared.reference.instruments import Cluster, Instrument

logger = logging.getLogger(__name__)


def _opening(
    rid: str,
    review_key: tuple[str, str, str, str],
    initial: ReviewStatus,
    now: dt.datetime,
) -> dict[str, Any]:
    """Return the fields of a review opened by the first event that names it."""
    phase_id, state, instrument, cluster = review_key
    return {
        "id": rid,
        "phase_id": phase_id,
        "state_under_review": state,
        "instrument": instrument,
        "cluster": cluster,
        "status": initial.value,
        "created_at": now,
    }


async def _get_or_create(
    session: AsyncSession,
    review_key: tuple[str, str, str, str],
    *,
    initial: ReviewStatus,
    now: dt.datetime,
) -> DeskReview:
    rid = review_id(*review_key)
    review = await get_row(session, DeskReview, rid, for_update=True)
    if review is None:
        review = new_row(DeskReview, **_opening(rid, review_key, initial, now))
        add_row(session, rid, review)
    return review


def _review_ids(payload: EventPayload) -> list[str]:
    """Return the ids of the desk reviews that a consumed event opens or updates."""
    if isinstance(payload, LotsDrawn | LotsRedrawn):
        return [
            review_id(
                payload.phase_id,
                payload.state_under_review,
                payload.instrument.value,
                cluster.value,
            )
            for cluster in payload.clusters
        ]
    if isinstance(payload, QuestionnaireSubmitted):
        return [
            review_id(
                payload.phase_id,
                payload.state,
                payload.instrument.value,
                payload.cluster.value,
            )
        ]
    return []


async def preload_reviews(
    session: AsyncSession, payloads: Sequence[EventPayload]
) -> None:
    """Load and lock the desk reviews of a batch of consumed events in one query.

    Requests lock the review they change, so the consumer locks them too,
    and a redraw never applies to a stage that an agreement being committed
    has already changed.
    """
    ids = [rid for payload in payloads for rid in _review_ids(payload)]
    await preload_rows(session, DeskReview, ids, for_update=True)


async def receive_lots(
    session: AsyncSession, cause: Envelope, lots: LotsDrawn, clock: Clock
) -> None:
    """Give each review its reviewers, opening those not yet known.

    Most reviews are opened here and then wait for their questionnaire, so
    they are queued with `insert_values` and written in one INSERT per batch.
    """
    reviewers = [r.iso3 for r in lots.reviewers]
    for cluster in lots.clusters:
        review_key = (
            lots.phase_id,
            lots.state_under_review,
            lots.instrument.value,
            cluster.value,
        )
        drawn = {
            "reviewers": reviewers,
            "regional_group": lots.regional_group,
            "lots_drawn_at": clock(),
        }
        rid = review_id(*review_key)
        review = await get_row(session, DeskReview, rid)
        if review is None:
            initial = ReviewStatus.AWAITING_QUESTIONNAIRE
            opening = _opening(rid, review_key, initial, clock())
            insert_values(session, DeskReview, **opening, **drawn)
            continue

        review.sqlmodel_update(drawn)
        if review.status == ReviewStatus.AWAITING_LOTS:
            _start(session, cause, review, Step.RECEIVE_LOTS, clock)


async def receive_redraw(
    session: AsyncSession, cause: Envelope, redrawn: LotsRedrawn, clock: Clock
) -> None:
    """Give the review the redrawn pair; a completed review keeps its reviewers.

    Access follows `reviewers`, so a replaced reviewer's focal point and
    experts can no longer act on the review, and the new one's can once
    appointed. A replaced reviewer's agreement is withdrawn, so a review in
    its comment period returns to agreeing until the new reviewer agrees,
    and one left with no agreement returns to in_progress.
    """
    reviewers = [r.iso3 for r in redrawn.reviewers]
    for cluster in redrawn.clusters:
        review_key = (
            redrawn.phase_id,
            redrawn.state_under_review,
            redrawn.instrument.value,
            cluster.value,
        )
        review = await _get_or_create(
            session,
            review_key,
            initial=ReviewStatus.AWAITING_QUESTIONNAIRE,
            now=clock(),
        )
        if review.status == ReviewStatus.COMPLETED:
            logger.info(
                "desk review %s was completed before redraw %d; its reviewers stay",
                review.id,
                redrawn.redraw_number,
            )
            continue
        previous, review.reviewers = review.reviewers or [], reviewers
        review.regional_group = redrawn.regional_group
        review.lots_drawn_at = review.lots_drawn_at or clock()
        session.add(review)
        if review.status == ReviewStatus.AWAITING_LOTS:
            _start(session, cause, review, Step.RECEIVE_LOTS, clock)
        elif previous != reviewers:
            await _hand_over(session, cause, review, previous, clock())
            _record_reviewers_changed(session, cause, review, previous, redrawn)


async def _hand_over(
    session: AsyncSession,
    cause: Envelope,
    review: DeskReview,
    previous: list[str],
    now: dt.datetime,
) -> None:
    """Withdraw the agreements of the replaced reviewers and move the stage back.

    The review returns to in_progress once no agreement is left, and to
    agreeing from its comment period while one is.
    """
    replaced = [s for s in previous if s not in (review.reviewers or [])]
    agreed = await _agreed_states(session, review.id)
    await session.exec(
        delete(Agreement).where(
            col(Agreement.review_id) == review.id, col(Agreement.state).in_(replaced)
        )
    )
    if review.status == ReviewStatus.COMMENTING:
        review.comment_period_started_at = None

    left = [state for state in agreed if state not in replaced]
    if agreed and not left:
        step = Step.WITHDRAW_LAST_AGREEMENT
    else:
        step = Step.CHANGE_REVIEWERS
    take_step(session, review, step, now, cause)


async def _agreed_states(session: AsyncSession, rid: str) -> list[str]:
    query = select(Agreement.state).where(col(Agreement.review_id) == rid)
    return list((await session.exec(query)).all())


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
    publish(session, review, payload, cause)


async def receive_questionnaire(
    session: AsyncSession,
    cause: Envelope,
    submitted: QuestionnaireSubmitted,
    clock: Clock,
) -> None:
    review_key = (
        submitted.phase_id,
        submitted.state,
        submitted.instrument.value,
        submitted.cluster.value,
    )
    review = await _get_or_create(
        session,
        review_key,
        initial=ReviewStatus.AWAITING_LOTS,
        now=clock(),
    )
    review.response_id = submitted.response_id
    review.questionnaire_submitted_at = submitted.submitted_at
    if review.status == ReviewStatus.AWAITING_QUESTIONNAIRE:
        _start(session, cause, review, Step.RECEIVE_QUESTIONNAIRE, clock)


def _start(
    session: AsyncSession,
    cause: Envelope,
    review: DeskReview,
    step: Step,
    clock: Clock,
) -> None:
    now = clock()
    review.started_at = now
    take_step(session, review, step, now, cause)
    payload = DeskReviewStarted(
        review_id=review.id,
        phase_id=review.phase_id,
        state_under_review=review.state_under_review,
        instrument=Instrument(review.instrument),
        cluster=Cluster(review.cluster),
        reviewers=review.reviewers or [],
    )
    publish(session, review, payload, cause)
