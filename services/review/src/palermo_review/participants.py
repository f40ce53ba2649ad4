"""Focal points and governmental experts of the States in a desk review."""

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_review.access import Action, authorize, review_for
from palermo_review.accounts import check_acts_as
from palermo_review.domain.workflow import Step
from palermo_review.reviews import check_step, states_of
from palermo_review.tables import (
    DeskReview,
    Expert,
    PhaseFocalPoint,
    ReviewFocalPoint,
)
from palermo_shared.auth import Principal, Role
from palermo_shared.db import lock_until_commit
from palermo_shared.errors import Forbidden, InvalidInput, NotFound
from palermo_shared.ids import new_id
from palermo_shared.reference.states import load_states

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Person:
    subject: str
    name: str
    email: str


@dataclass(frozen=True)
class ExpertDetails:
    person: Person
    languages: list[str]
    expertise: str


@dataclass(frozen=True)
class FocalPointView:
    state: str
    subject: str
    name: str
    email: str
    named_at: dt.datetime
    scope: str


def require_secretariat(principal: Principal, action: str) -> None:
    if not principal.is_secretariat:
        raise Forbidden(f"only the Secretariat may {action}")


async def name_phase_focal_points(
    session: AsyncSession,
    principal: Principal,
    phase_id: str,
    named: dict[str, Person],
    now: dt.datetime,
) -> None:
    """Name each State's focal point for every review of a phase.

    A focal point named on one review replaces the phase's one there.
    """
    require_secretariat(principal, "name focal points")
    # Two namings at once would both find a State's row missing and both
    # insert it, and the second would fail on the primary key.
    await lock_until_commit(session, f"palermo_review.focal_points.{phase_id}")
    await _check_phase_states(session, phase_id, named)
    for state, person in named.items():
        await check_acts_as(
            session, person.subject, Role.FOCAL_POINT, state, field="focal_points"
        )
    for state, person in named.items():
        row = await session.get(PhaseFocalPoint, (phase_id, state))
        # A new row gets the person's fields below, as a stored one does.
        row = row or PhaseFocalPoint(phase_id=phase_id, state=state, named_at=now)  # type: ignore[call-arg]
        row.subject, row.name, row.email = person.subject, person.name, person.email
        row.named_at = now
        session.add(row)
    logger.info("phase %s: named %d focal points", phase_id, len(named))


async def _check_phase_states(
    session: AsyncSession, phase_id: str, states: Iterable[str]
) -> None:
    """Raise unless each State is in the shipped registry or in a desk review.

    Focal points may be named before the draw, or before a redraw brings
    their State in, so a State need not take part in a review yet. One
    added to the registry since the release is known once it does.
    """
    query = select(DeskReview.state_under_review, DeskReview.reviewers).where(
        DeskReview.phase_id == phase_id
    )
    rows = (await session.exec(query)).all()
    taking_part = {s for state, reviewers in rows for s in (state, *(reviewers or []))}
    unknown = sorted(set(states) - load_states().keys() - taking_part)
    if unknown:
        raise InvalidInput(
            f"unknown State {', '.join(unknown)}: neither in the registry nor in "
            f"a desk review of phase {phase_id}",
            field="focal_points",
        )


async def name_review_focal_point(
    session: AsyncSession,
    principal: Principal,
    rid: str,
    state: str,
    person: Person,
    now: dt.datetime,
) -> DeskReview:
    review = await review_for(session, rid, principal, for_update=True)
    await authorize(session, review, principal, Action.NAME_FOCAL_POINT)
    check_step(review, Step.APPOINT, action="name a focal point of")
    if state not in states_of(review):
        raise InvalidInput(
            f"{state} takes no part in desk review {rid}; expected one of "
            f"{', '.join(states_of(review))}",
            field="state",
        )
    await check_acts_as(
        session, person.subject, Role.FOCAL_POINT, state, field="subject"
    )
    row = await session.get(ReviewFocalPoint, (rid, state))
    # A new row gets the person's fields below, as a stored one does.
    row = row or ReviewFocalPoint(review_id=rid, state=state, named_at=now)  # type: ignore[call-arg]
    row.subject, row.name, row.email = person.subject, person.name, person.email
    row.named_at = now
    session.add(row)
    return review


async def focal_points(
    session: AsyncSession, review: DeskReview
) -> list[FocalPointView]:
    """Return the focal point of each State of the review that has one."""
    views = []
    for state in states_of(review):
        own = await session.get(ReviewFocalPoint, (review.id, state))
        row: ReviewFocalPoint | PhaseFocalPoint | None = own or await session.get(
            PhaseFocalPoint, (review.phase_id, state)
        )
        if row is not None:
            scope = "review" if own is not None else "phase"
            views.append(
                FocalPointView(
                    state, row.subject, row.name, row.email, row.named_at, scope
                )
            )
    return views


async def appoint_experts(
    session: AsyncSession,
    principal: Principal,
    review_ids: list[str],
    details: ExpertDetails,
    now: dt.datetime,
) -> list[Expert]:
    """Appoint one expert of the caller's State to each listed review, all or none.

    Appointing a subject already appointed to a review updates its details
    and keeps who appointed it and when. A subject known to act for another
    State, or in another role, is rejected by `check_acts_as`.
    """
    # Locked in one order, so that two requests listing the same reviews in
    # different orders wait for each other instead of deadlocking.
    locked = {
        rid: await review_for(session, rid, principal, for_update=True)
        for rid in sorted(set(review_ids))
    }
    appointed = []
    for rid in dict.fromkeys(review_ids):
        review = locked[rid]
        participant = await authorize(session, review, principal, Action.APPOINT_EXPERT)
        check_step(review, Step.APPOINT)
        assert participant.state is not None
        appointed.append(
            await _appoint(session, review, participant.state, principal, details, now)
        )
    return appointed


async def _appoint(
    session: AsyncSession,
    review: DeskReview,
    state: str,
    principal: Principal,
    details: ExpertDetails,
    now: dt.datetime,
) -> Expert:
    await check_acts_as(
        session, details.person.subject, Role.EXPERT, state, field="subject"
    )

    query = select(Expert).where(
        Expert.review_id == review.id, Expert.subject == details.person.subject
    )
    expert = (await session.exec(query)).first()
    if expert is not None and expert.state != state:
        raise InvalidInput(
            f"{details.person.subject} is already an expert of {expert.state} on "
            f"desk review {review.id}",
            field="subject",
        )
    if expert is None:
        # A new expert gets the person's fields below, as a stored one does.
        expert = Expert(  # type: ignore[call-arg]
            id=new_id(),
            review_id=review.id,
            state=state,
            appointed_by=principal.subject,
            appointed_at=now,
        )
    expert.subject = details.person.subject
    expert.name = details.person.name
    expert.email = details.person.email
    expert.languages = details.languages
    expert.expertise = details.expertise
    session.add(expert)
    return expert


async def list_experts(session: AsyncSession, review: DeskReview) -> list[Expert]:
    """Return the experts with a seat on `review`.

    The experts of a reviewer replaced by a redraw stay stored but have no
    seat, so they are left out.
    """
    query = (
        select(Expert)
        .where(Expert.review_id == review.id)
        .where(col(Expert.state).in_(states_of(review)))
        .order_by(col(Expert.state), col(Expert.appointed_at))
    )
    return list((await session.exec(query)).all())


async def remove_expert(
    session: AsyncSession, principal: Principal, rid: str, expert_id: str
) -> None:
    """Withdraw an expert; only the focal point of the expert's State may."""
    review = await review_for(session, rid, principal, for_update=True)
    participant = await authorize(session, review, principal, Action.APPOINT_EXPERT)
    check_step(review, Step.APPOINT, action="withdraw an expert from")
    expert = await session.get(Expert, expert_id)
    if expert is None or expert.review_id != rid:
        raise NotFound(f"expert {expert_id} not found on desk review {rid}")
    if expert.state != participant.state:
        raise Forbidden(f"only the focal point of {expert.state} may withdraw it")
    await session.delete(expert)
