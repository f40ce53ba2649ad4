"""Routes of desk reviews: listing, reading, observations and follow-up."""

from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy import String, cast, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_review import observations, outcome, participants, reports
from palermo_review.access import Action, authorize, review_for
from palermo_review.api.deps import Now, Runtime, Settings
from palermo_review.api.schemas import (
    DeadlinePublic,
    EarlierObservation,
    FocalPointPublic,
    ObservationCreate,
    ObservationPublic,
    ReviewDetail,
    ReviewPage,
    ReviewPublic,
)
from palermo_review.deadlines import deadlines_of
from palermo_review.domain.workflow import ReviewStatus
from palermo_review.tables import DeskReview
from palermo_shared.auth import Caller, Principal
from palermo_shared.db import MAX_STORED_INT
from palermo_shared.errors import Forbidden
from palermo_shared.filters import StateFilter
from palermo_shared.reference.instruments import Cluster, Instrument
from palermo_shared.text import SingleLineText

router = APIRouter(prefix="/reviews", tags=["reviews"])


def public(review: DeskReview) -> ReviewPublic:
    return ReviewPublic.model_validate(review, from_attributes=True)


def _visible_to(caller: Principal) -> list:  # type: ignore[type-arg]
    """Return the filters that keep the reviews the caller's State takes part in."""
    if caller.is_secretariat:
        return []
    if caller.state is None:
        raise Forbidden(
            "observers read published outcomes only, at /reviews/{id}/published"
        )
    return [
        or_(
            col(DeskReview.state_under_review) == caller.state,
            cast(DeskReview.reviewers, String).like(f'%"{caller.state}"%'),
        )
    ]


@router.get("", response_model=ReviewPage)
async def list_reviews(
    runtime: Runtime,
    caller: Caller,
    phase_id: SingleLineText | None = None,
    state: StateFilter = None,
    instrument: Instrument | None = None,
    cluster: Cluster | None = None,
    review_status: Annotated[ReviewStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_STORED_INT)] = 0,
) -> ReviewPage:
    """List the reviews the caller's State takes part in (all for the Secretariat)."""
    filters = _visible_to(caller)
    if phase_id is not None:
        filters.append(col(DeskReview.phase_id) == phase_id)
    if state is not None:
        filters.append(col(DeskReview.state_under_review) == state)
    if instrument is not None:
        filters.append(col(DeskReview.instrument) == instrument.value)
    if cluster is not None:
        filters.append(col(DeskReview.cluster) == cluster.value)
    if review_status is not None:
        filters.append(col(DeskReview.status) == review_status.value)
    async with runtime.session() as session:
        count = select(func.count()).select_from(DeskReview).where(*filters)
        total = (await session.exec(count)).one()
        query = (
            select(DeskReview)
            .where(*filters)
            .order_by(col(DeskReview.id))
            .offset(offset)
            .limit(limit)
        )
        items = (await session.exec(query)).all()
    return ReviewPage(total=total, items=[public(r) for r in items])


async def detail(
    session: AsyncSession, review: DeskReview, settings: Settings, now: Now
) -> ReviewDetail:
    """Return the review with its focal points, deadlines and what completion lacks."""
    deadlines = [
        DeadlinePublic(
            stage=d.stage,
            due_at=d.due_at,
            met_at=d.met_at,
            extended_days=d.extended_days,
            pending_states=d.pending_states,
            overdue=d.overdue_days(now) > 0,
            days_overdue=d.overdue_days(now),
        )
        for d in await deadlines_of(session, review, settings)
    ]
    focal_points = [
        FocalPointPublic.model_validate(f, from_attributes=True)
        for f in await participants.focal_points(session, review)
    ]
    missing = []
    if review.status != ReviewStatus.COMPLETED:
        missing = await outcome.missing_parts(
            session, review, now, settings.comment_period
        )
    return ReviewDetail(
        **public(review).model_dump(),
        focal_points=focal_points,
        deadlines=deadlines,
        overdue=review.status != ReviewStatus.COMPLETED
        and any(d.overdue for d in deadlines),
        comment_period_ends_at=outcome.comment_period_ends(
            review, settings.comment_period
        ),
        missing_for_completion=missing,
    )


@router.get("/{review_id}", response_model=ReviewDetail)
async def get_review(
    review_id: str, runtime: Runtime, caller: Caller, settings: Settings, now: Now
) -> ReviewDetail:
    async with runtime.session() as session:
        review = await review_for(session, review_id, caller)
        await authorize(session, review, caller, Action.READ)
        return await detail(session, review, settings, now)


def observation_public(observation: object) -> ObservationPublic:
    return ObservationPublic.model_validate(observation, from_attributes=True)


@router.get("/{review_id}/observations", response_model=list[ObservationPublic])
async def list_observations(
    review_id: str, runtime: Runtime, caller: Caller
) -> list[ObservationPublic]:
    async with runtime.session() as session:
        review = await review_for(session, review_id, caller)
        await authorize(session, review, caller, Action.READ)
        found = await observations.list_observations(session, review_id)
    return [observation_public(o) for o in found]


@router.post(
    "/{review_id}/observations",
    response_model=ObservationPublic,
    status_code=status.HTTP_201_CREATED,
)
async def add_observation(
    review_id: str, body: ObservationCreate, runtime: Runtime, caller: Caller
) -> ObservationPublic:
    """Record an observation; for the experts of the reviewing States."""
    async with runtime.transaction() as session:
        observation = await observations.add_observation(
            session,
            caller,
            review_id,
            article=body.article,
            kind=body.kind,
            text=body.text,
        )
    return observation_public(observation)


@router.get(
    "/{review_id}/earlier-observations", response_model=list[EarlierObservation]
)
async def earlier_observations(
    review_id: str, runtime: Runtime, caller: Caller
) -> list[EarlierObservation]:
    """List the observations of the State's other completed reviews, to follow up."""
    async with runtime.session() as session:
        review = await review_for(session, review_id, caller)
        await authorize(session, review, caller, Action.READ)
        pairs = await reports.earlier_observations(session, review)
    return [
        EarlierObservation(
            review_id=r.id,
            phase_id=r.phase_id,
            instrument=Instrument(r.instrument),
            cluster=Cluster(r.cluster),
            completed_at=r.completed_at,
            article=o.article,
            kind=o.kind,
            text=o.text,
        )
        for r, o in pairs
    ]
