"""Routes of focal points and experts."""

from fastapi import APIRouter, status

from palermo_review import participants
from palermo_review.access import Action, authorize, review_for
from palermo_review.api.deps import Now, Runtime
from palermo_review.api.schemas import (
    ExpertAppointment,
    ExpertPublic,
    FocalPointPublic,
    PersonIn,
    PhaseFocalPoints,
)
from palermo_review.participants import ExpertDetails, Person
from palermo_review.tables import Expert
from palermo_shared.auth import Caller
from palermo_shared.errors import InvalidInput
from palermo_shared.filters import StateCodePath

router = APIRouter(tags=["participants"])


def _person(body: PersonIn) -> Person:
    return Person(body.subject, body.name, body.email)


def _expert_public(expert: Expert) -> ExpertPublic:
    return ExpertPublic.model_validate(expert, from_attributes=True)


@router.put("/phases/{phase_id}/focal-points", status_code=status.HTTP_204_NO_CONTENT)
async def name_phase_focal_points(
    phase_id: str, body: PhaseFocalPoints, runtime: Runtime, caller: Caller, now: Now
) -> None:
    """Name States' focal points for every review of a phase (the Secretariat)."""
    named = {item.state: _person(item) for item in body.focal_points}
    if len(named) != len(body.focal_points):
        raise InvalidInput("each State may be listed once", field="focal_points")
    async with runtime.transaction() as session:
        await participants.name_phase_focal_points(
            session, caller, phase_id, named, now
        )


@router.put(
    "/reviews/{review_id}/focal-points/{state}", response_model=list[FocalPointPublic]
)
async def name_review_focal_point(
    review_id: str,
    state: StateCodePath,
    body: PersonIn,
    runtime: Runtime,
    caller: Caller,
    now: Now,
) -> list[FocalPointPublic]:
    """Name or replace one State's focal point on one review (the Secretariat)."""
    async with runtime.transaction() as session:
        review = await participants.name_review_focal_point(
            session, caller, review_id, state, _person(body), now
        )
        views = await participants.focal_points(session, review)
    return [FocalPointPublic.model_validate(v, from_attributes=True) for v in views]


@router.post(
    "/experts", response_model=list[ExpertPublic], status_code=status.HTTP_201_CREATED
)
async def appoint_experts(
    body: ExpertAppointment, runtime: Runtime, caller: Caller, now: Now
) -> list[ExpertPublic]:
    """Appoint one expert of the focal point's State to each listed review.

    All the reviews are checked first; one refusal appoints the expert to none.
    """
    details = ExpertDetails(_person(body), list(body.languages), body.expertise)
    async with runtime.transaction() as session:
        experts = await participants.appoint_experts(
            session, caller, body.review_ids, details, now
        )
    return [_expert_public(e) for e in experts]


@router.get("/reviews/{review_id}/experts", response_model=list[ExpertPublic])
async def list_experts(
    review_id: str, runtime: Runtime, caller: Caller
) -> list[ExpertPublic]:
    async with runtime.session() as session:
        review = await review_for(session, review_id, caller)
        await authorize(session, review, caller, Action.READ)
        experts = await participants.list_experts(session, review)
    return [_expert_public(e) for e in experts]


@router.delete(
    "/reviews/{review_id}/experts/{expert_id}", status_code=status.HTTP_204_NO_CONTENT
)
async def remove_expert(
    review_id: str, expert_id: str, runtime: Runtime, caller: Caller
) -> None:
    async with runtime.transaction() as session:
        await participants.remove_expert(session, caller, review_id, expert_id)
