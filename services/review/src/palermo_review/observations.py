"""Observations and the reviewing States' agreement to their final text."""

import datetime as dt
import logging

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_review.access import Action, Participant, authorize, review_for
from palermo_review.domain.workflow import ReviewStatus, Step
from palermo_review.reviews import check_step, take_step
from palermo_review.tables import Agreement, DeskReview, Observation
from palermo_shared.auth import Principal
from palermo_shared.errors import Conflict, InvalidInput
from palermo_shared.ids import new_id
from palermo_shared.reference.instruments import ARTICLES, Cluster, Instrument

logger = logging.getLogger(__name__)


async def add_observation(
    session: AsyncSession,
    principal: Principal,
    rid: str,
    *,
    article: int,
    kind: str,
    text: str,
) -> Observation:
    review = await review_for(session, rid, principal, for_update=True)
    participant = await authorize(session, review, principal, Action.RECORD_OBSERVATION)
    check_step(review, Step.RECORD_OBSERVATION)
    articles = ARTICLES[Instrument(review.instrument)][Cluster(review.cluster)]
    if article not in articles:
        raise InvalidInput(
            f"article {article} is not in the {review.cluster} cluster of "
            f"{review.instrument}; expected one of {', '.join(map(str, articles))}",
            field="article",
        )
    assert participant.state is not None
    observation = Observation(
        id=new_id(),
        review_id=rid,
        reviewer=participant.state,
        article=article,
        kind=kind,
        text=text,
        author=principal.subject,
    )
    session.add(observation)
    return observation


async def count_observations(session: AsyncSession, rid: str) -> int:
    query = select(func.count()).where(Observation.review_id == rid)
    return (await session.exec(query)).one()


async def list_observations(session: AsyncSession, rid: str) -> list[Observation]:
    query = (
        select(Observation)
        .where(Observation.review_id == rid)
        .order_by(col(Observation.created_at), col(Observation.id))
    )
    return list((await session.exec(query)).all())


async def cleared_agreements(session: AsyncSession, review: DeskReview) -> set[str]:
    """Return the current reviewing States whose agreement their focal point cleared."""
    query = select(Agreement).where(Agreement.review_id == review.id)
    agreements = (await session.exec(query)).all()
    reviewers = set(review.reviewers or [])
    return {
        a.state for a in agreements if a.cleared_at is not None and a.state in reviewers
    }


async def list_agreements(session: AsyncSession, rid: str) -> list[Agreement]:
    query = select(Agreement).where(Agreement.review_id == rid)
    return list((await session.exec(query.order_by(col(Agreement.agreed_at)))).all())


async def agree(
    session: AsyncSession, principal: Principal, rid: str, now: dt.datetime
) -> DeskReview:
    """Record the caller's State's agreement to the final observations.

    The first agreement freezes the observations. An agreement made by an
    expert counts once its focal point cleared it; one made by the focal
    point counts at once.
    """
    review = await review_for(session, rid, principal, for_update=True)
    participant = await authorize(session, review, principal, Action.AGREE)
    check_step(review, Step.AGREE)
    if await count_observations(session, rid) == 0:
        raise Conflict(
            f"desk review {rid} has no observations to agree to; record them first",
            current_state=review.status,
            allowed=[Step.RECORD_OBSERVATION.value],
        )
    take_step(session, review, Step.AGREE, now)
    await _store_agreement(session, review, participant, now)
    await _open_comments_if_agreed(session, review, now)
    return review


async def _store_agreement(
    session: AsyncSession,
    review: DeskReview,
    participant: Participant,
    now: dt.datetime,
) -> None:
    assert participant.state is not None
    agreement = await session.get(Agreement, (review.id, participant.state))
    if agreement is None:
        agreement = Agreement(
            review_id=review.id,
            state=participant.state,
            agreed_by=participant.subject,
            agreed_at=now,
        )
    elif agreement.cleared_at is not None or not participant.is_focal_point:
        # A State's agreement remains until the observations are reopened, so
        # agreeing again must not withdraw its focal point's clearance.
        return
    if participant.is_focal_point:
        agreement.cleared_by, agreement.cleared_at = participant.subject, now
    session.add(agreement)
    await session.flush()


async def clear_agreement(
    session: AsyncSession, principal: Principal, rid: str, now: dt.datetime
) -> DeskReview:
    review = await review_for(session, rid, principal, for_update=True)
    participant = await authorize(session, review, principal, Action.CLEAR_AGREEMENT)
    check_step(review, Step.AGREE, action="clear an agreement in")
    agreement = await session.get(Agreement, (rid, participant.state))
    if agreement is None:
        raise Conflict(
            f"{participant.state} has not agreed to the final observations of "
            f"desk review {rid}; its expert or focal point agrees first",
            current_state=review.status,
            allowed=[Step.AGREE.value],
        )
    agreement.cleared_by, agreement.cleared_at = participant.subject, now
    session.add(agreement)
    await session.flush()
    await _open_comments_if_agreed(session, review, now)
    return review


async def _open_comments_if_agreed(
    session: AsyncSession, review: DeskReview, now: dt.datetime
) -> None:
    if review.status != ReviewStatus.AGREEING:
        return
    if set(review.reviewers or []) <= await cleared_agreements(session, review):
        review.comment_period_started_at = now
        take_step(session, review, Step.OPEN_COMMENTS, now)
        logger.info("review %s: both reviewers agreed, comments open", review.id)


async def reopen(
    session: AsyncSession, principal: Principal, rid: str, now: dt.datetime
) -> DeskReview:
    """Return the observations to the reviewers; every agreement is withdrawn."""
    review = await review_for(session, rid, principal, for_update=True)
    await authorize(session, review, principal, Action.REOPEN)
    take_step(session, review, Step.REOPEN, now)
    await session.exec(delete(Agreement).where(col(Agreement.review_id) == rid))
    return review
