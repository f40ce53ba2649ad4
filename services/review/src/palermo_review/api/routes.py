"""Routes of the review service: desk reviews, observations and completion."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from sqlalchemy import func
from sqlmodel import col, select

from palermo_review import reviews
from palermo_review.api.schemas import (
    CompletionRequest,
    ObservationCreate,
    ObservationPublic,
    ReviewPage,
    ReviewPublic,
)
from palermo_review.domain.workflow import ReviewStatus
from palermo_review.tables import DeskReview
from palermo_shared.reference.instruments import Cluster, Instrument
from palermo_shared.service import ServiceRuntime, runtime_of

router = APIRouter(prefix="/reviews")
Runtime = Annotated[ServiceRuntime, Depends(runtime_of)]


def _public(review: DeskReview) -> ReviewPublic:
    return ReviewPublic.model_validate(review, from_attributes=True)


@router.get("", response_model=ReviewPage)
async def list_reviews(
    runtime: Runtime,
    phase_id: str | None = None,
    state: Annotated[str | None, Query(pattern="^[A-Z]{3}$")] = None,
    instrument: Instrument | None = None,
    cluster: Cluster | None = None,
    review_status: Annotated[ReviewStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ReviewPage:
    filters = []
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
        total = (
            await session.exec(
                select(func.count()).select_from(DeskReview).where(*filters)
            )
        ).one()
        query = (
            select(DeskReview)
            .where(*filters)
            .order_by(col(DeskReview.id))
            .offset(offset)
            .limit(limit)
        )
        items = (await session.exec(query)).all()
    return ReviewPage(total=total, items=[_public(r) for r in items])


@router.get("/{review_id}", response_model=ReviewPublic)
async def get_review(review_id: str, runtime: Runtime) -> ReviewPublic:
    async with runtime.session() as session:
        return _public(await reviews.get_review(session, review_id))


@router.get("/{review_id}/observations", response_model=list[ObservationPublic])
async def list_observations(
    review_id: str, runtime: Runtime
) -> list[ObservationPublic]:
    async with runtime.session() as session:
        await reviews.get_review(session, review_id)
        observations = await reviews.list_observations(session, review_id)
    return [
        ObservationPublic.model_validate(o, from_attributes=True) for o in observations
    ]


@router.post(
    "/{review_id}/observations",
    response_model=ObservationPublic,
    status_code=status.HTTP_201_CREATED,
)
async def add_observation(
    review_id: str, body: ObservationCreate, runtime: Runtime
) -> ObservationPublic:
    async with runtime.transaction() as session:
        observation = await reviews.add_observation(
            session,
            review_id,
            reviewer=body.reviewer,
            article=body.article,
            kind=body.kind,
            text=body.text,
        )
    return ObservationPublic.model_validate(observation, from_attributes=True)


@router.post("/{review_id}/complete", response_model=ReviewPublic)
async def complete(
    review_id: str, body: CompletionRequest, runtime: Runtime
) -> ReviewPublic:
    async with runtime.transaction() as session:
        review = await reviews.complete(session, review_id, summary=body.summary)
    return _public(review)
