"""Routes of the draw service: the registry, review phases and their draws."""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, status

from palermo_draw import phases
from palermo_draw.api.schemas import (
    AssignmentPublic,
    DrawPublic,
    DrawRequest,
    NotDrawnPublic,
    PartyStatusPublic,
    PhaseCreate,
    PhasePublic,
    StatePublic,
)
from palermo_draw.tables import Draw, LotAssignment, Phase
from palermo_shared.errors import NotFound
from palermo_shared.reference.instruments import WORKING_GROUPS, Instrument
from palermo_shared.reference.states import StateParty, load_states
from palermo_shared.service import ServiceRuntime, runtime_of

router = APIRouter()
Runtime = Annotated[ServiceRuntime, Depends(runtime_of)]
StateCode = Annotated[
    str, Path(pattern="^[A-Za-z]{3}$", description="ISO 3166-1 alpha-3")
]


def _state_public(state: StateParty) -> StatePublic:
    return StatePublic(
        iso3=state.iso3,
        name=state.name,
        regional_group=state.regional_group,
        legal_system=state.legal_system,
        instruments={
            i: PartyStatusPublic(deposit_date=s.deposit_date)
            for i, s in state.instruments.items()
        },
        uncac=(
            PartyStatusPublic(deposit_date=state.uncac.deposit_date)
            if state.uncac
            else None
        ),
    )


def _phase_public(phase: Phase, *, drawn: bool) -> PhasePublic:
    instruments = [Instrument(i) for i in phase.instruments]
    return PhasePublic(
        id=phase.id,
        years=phase.years,
        instruments=instruments,
        clusters=phase.clusters,  # type: ignore[arg-type]
        working_groups={i: WORKING_GROUPS[i] for i in instruments},
        draw_date=phase.draw_date,
        opened_at=phase.opened_at,
        drawn=drawn,
    )


def _assignment_public(a: LotAssignment) -> AssignmentPublic:
    state = load_states()[a.state_under_review]
    return AssignmentPublic(
        instrument=Instrument(a.instrument),
        state_under_review=a.state_under_review,
        regional_group=state.regional_group or "",
        reviewers=[a.same_group_reviewer, a.other_group_reviewer],
        similar_legal_system=a.similar_legal_system,
        legal_system_note=a.legal_system_note,
    )


@router.get("/states", response_model=list[StatePublic])
async def list_states() -> list[StatePublic]:
    return [_state_public(s) for _, s in sorted(load_states().items())]


@router.get("/states/{iso3}", response_model=StatePublic)
async def get_state(iso3: StateCode) -> StatePublic:
    state = load_states().get(iso3.upper())
    if state is None:
        raise NotFound(f"State {iso3.upper()} not found in the States-parties registry")
    return _state_public(state)


@router.post("/phases", response_model=PhasePublic, status_code=status.HTTP_201_CREATED)
async def open_phase(body: PhaseCreate, runtime: Runtime) -> PhasePublic:
    async with runtime.transaction() as session:
        phase = await phases.open_phase(
            session,
            years=body.years,
            instruments=body.instruments,
            draw_date=body.draw_date or dt.date.today(),
        )
    return _phase_public(phase, drawn=False)


@router.get("/phases/{phase_id}", response_model=PhasePublic)
async def get_phase(phase_id: str, runtime: Runtime) -> PhasePublic:
    async with runtime.session() as session:
        phase = await phases.get_phase(session, phase_id)
        drawn = await session.get(Draw, phase_id) is not None
    return _phase_public(phase, drawn=drawn)


@router.post(
    "/phases/{phase_id}/draw",
    response_model=DrawPublic,
    status_code=status.HTTP_201_CREATED,
)
async def draw_lots(phase_id: str, body: DrawRequest, runtime: Runtime) -> DrawPublic:
    async with runtime.transaction() as session:
        await phases.draw_phase(session, phase_id, seed=body.seed)
    return await get_draw(phase_id, runtime)


@router.get("/phases/{phase_id}/draw", response_model=DrawPublic)
async def get_draw(phase_id: str, runtime: Runtime) -> DrawPublic:
    async with runtime.session() as session:
        await phases.get_phase(session, phase_id)
        draw = await session.get(Draw, phase_id)
        if draw is None:
            raise NotFound(f"lots for phase {phase_id} have not been drawn yet")
        assignments = await phases.list_assignments(session, phase_id)
        not_drawn = await phases.list_not_drawn(session, phase_id)
    return DrawPublic(
        phase_id=phase_id,
        seed=draw.seed,
        ruleset_version=draw.ruleset_version,
        drawn_at=draw.drawn_at,
        assignments=[_assignment_public(a) for a in assignments],
        not_drawn=[
            NotDrawnPublic(
                instrument=Instrument(n.instrument), state=n.state, reason=n.reason
            )
            for n in not_drawn
        ],
    )
