"""Routes of review phases: meetings, the seed commitment, the draw and redraws."""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, status

from palermo_draw import draws, phases, redraws
from palermo_draw.api.schemas import (
    AssignmentPublic,
    DrawPublic,
    DrawRequest,
    MeetingCreate,
    MeetingPublic,
    NotDrawnPublic,
    PhaseCreate,
    PhasePublic,
    RedrawCreate,
    RedrawPublic,
    SeedCommitmentCreate,
    SeedCommitmentPublic,
    VerificationPublic,
)
from palermo_draw.domain.model import DrawMode
from palermo_draw.domain.verification import verify
from palermo_draw.record import DrawRecord, published_draw
from palermo_draw.tables import Draw, LotAssignment, Phase, RedrawRow, SeedCommitment
from palermo_shared.auth import AUTHENTICATED, SECRETARIAT_ONLY
from palermo_shared.errors import InvalidInput
from palermo_shared.reference.instruments import WORKING_GROUPS, Instrument
from palermo_shared.service import ServiceRuntime, runtime_of

router = APIRouter(dependencies=[AUTHENTICATED])
Runtime = Annotated[ServiceRuntime, Depends(runtime_of)]


def _phase_public(phase: Phase, *, drawn: bool) -> PhasePublic:
    instruments = [Instrument(i) for i in phase.instruments]
    return PhasePublic(
        id=phase.id,
        years=phase.years,
        instruments=instruments,
        clusters=phase.clusters,
        working_groups={i: WORKING_GROUPS[i] for i in instruments},
        mode=DrawMode(phase.mode),
        draw_date=phase.draw_date,
        opened_at=phase.opened_at,
        drawn=drawn,
    )


def _assignment_public(a: LotAssignment, groups: dict[str, str]) -> AssignmentPublic:
    return AssignmentPublic(
        instrument=Instrument(a.instrument),
        state_under_review=a.state_under_review,
        regional_group=groups.get(a.state_under_review, ""),
        reviewers=[a.same_group_reviewer, a.other_group_reviewer],
        similar_legal_system=a.similar_legal_system,
        legal_system_note=a.legal_system_note,
        redraw_count=a.redraw_count,
    )


@router.post(
    "/phases",
    response_model=PhasePublic,
    status_code=status.HTTP_201_CREATED,
    dependencies=[SECRETARIAT_ONLY],
)
async def open_phase(body: PhaseCreate, runtime: Runtime) -> PhasePublic:
    async with runtime.transaction() as session:
        phase = await phases.open_phase(
            session,
            years=body.years,
            instruments=body.instruments,
            draw_date=body.draw_date or dt.date.today(),
            mode=body.mode,
        )
    return _phase_public(phase, drawn=False)


@router.get("/phases/{phase_id}", response_model=PhasePublic)
async def get_phase(phase_id: str, runtime: Runtime) -> PhasePublic:
    async with runtime.session() as session:
        phase = await phases.get_phase(session, phase_id)
        drawn = await session.get(Draw, phase_id) is not None
    return _phase_public(phase, drawn=drawn)


@router.post(
    "/phases/{phase_id}/meetings",
    response_model=MeetingPublic,
    status_code=status.HTTP_201_CREATED,
    dependencies=[SECRETARIAT_ONLY],
)
async def record_meeting(
    phase_id: str, body: MeetingCreate, runtime: Runtime
) -> MeetingPublic:
    async with runtime.transaction() as session:
        meeting = await phases.record_meeting(
            session,
            phase_id,
            kind=body.kind,
            date=body.date,
            states_present=body.states_present,
        )
    return MeetingPublic.model_validate(meeting, from_attributes=True)


@router.get("/phases/{phase_id}/meetings", response_model=list[MeetingPublic])
async def list_meetings(phase_id: str, runtime: Runtime) -> list[MeetingPublic]:
    async with runtime.session() as session:
        meetings = await phases.list_meetings(session, phase_id)
    return [MeetingPublic.model_validate(m, from_attributes=True) for m in meetings]


@router.post(
    "/phases/{phase_id}/seed-commitment",
    response_model=SeedCommitmentPublic,
    status_code=status.HTTP_201_CREATED,
    dependencies=[SECRETARIAT_ONLY],
)
async def commit_seed(
    phase_id: str, body: SeedCommitmentCreate, runtime: Runtime
) -> SeedCommitmentPublic:
    async with runtime.transaction() as session:
        commitment = await phases.commit_seed(
            session, phase_id, seed_sha256=body.seed_sha256
        )
    return _commitment_public(commitment)


@router.get("/phases/{phase_id}/seed-commitment", response_model=SeedCommitmentPublic)
async def get_commitment(phase_id: str, runtime: Runtime) -> SeedCommitmentPublic:
    async with runtime.session() as session:
        commitment = await phases.get_commitment(session, phase_id)
    return _commitment_public(commitment)


def _commitment_public(commitment: SeedCommitment) -> SeedCommitmentPublic:
    return SeedCommitmentPublic(
        phase_id=commitment.phase_id,
        seed_sha256=commitment.seed_sha256,
        committed_at=commitment.committed_at,
    )


@router.post(
    "/phases/{phase_id}/draw",
    response_model=DrawPublic,
    status_code=status.HTTP_201_CREATED,
    dependencies=[SECRETARIAT_ONLY],
)
async def draw_lots(phase_id: str, body: DrawRequest, runtime: Runtime) -> DrawPublic:
    if (body.seed is None) == (body.announced_values is None):
        raise InvalidInput(
            "give either seed (the committed seed, revealed) or announced_values",
            field="seed",
        )
    async with runtime.transaction() as session:
        await draws.draw_phase(
            session,
            phase_id,
            meeting_id=body.meeting_id,
            seed=body.seed,
            announced_values=body.announced_values,
        )
    return await get_draw(phase_id, runtime)


@router.get("/phases/{phase_id}/draw", response_model=DrawPublic)
async def get_draw(phase_id: str, runtime: Runtime) -> DrawPublic:
    async with runtime.session() as session:
        draw = await draws.get_draw(session, phase_id)
        commitment = await session.get(SeedCommitment, phase_id)
        assignments = await draws.list_assignments(session, phase_id)
        not_drawn = await draws.list_not_drawn(session, phase_id)
        redraw_rows = await draws.list_redraws(session, phase_id)
    groups = {
        p["iso3"]: p["regional_group"]
        for parties in draw.parties.values()
        for p in parties
        if p["regional_group"]
    }
    return DrawPublic(
        phase_id=phase_id,
        seed=draw.seed,
        seed_sha256=commitment.seed_sha256 if commitment else None,
        ruleset_version=draw.ruleset_version,
        mode=DrawMode(draw.mode),
        meeting_id=draw.meeting_id,
        drawn_at=draw.drawn_at,
        redraws=len(redraw_rows),
        assignments=[_assignment_public(a, groups) for a in assignments],
        not_drawn=[
            NotDrawnPublic(
                instrument=Instrument(n.instrument), state=n.state, reason=n.reason
            )
            for n in not_drawn
        ],
    )


@router.get("/phases/{phase_id}/draw/record", response_model=DrawRecord)
async def get_record(phase_id: str, runtime: Runtime) -> DrawRecord:
    """Return every input and result of the draw, for anyone to re-run it."""
    async with runtime.session() as session:
        return await draws.draw_record(session, phase_id)


@router.get("/phases/{phase_id}/draw/verification", response_model=VerificationPublic)
async def verify_stored(phase_id: str, runtime: Runtime) -> VerificationPublic:
    record = await get_record(phase_id, runtime)
    return _verification(record)


@router.post("/verifications", response_model=VerificationPublic)
async def verify_record(record: DrawRecord) -> VerificationPublic:
    """Re-run any draw record, as published, and compare it with its results."""
    return _verification(record)


def _verification(record: DrawRecord) -> VerificationPublic:
    differences = verify(published_draw(record))
    return VerificationPublic(
        phase_id=record.phase_id, verified=not differences, differences=differences
    )


@router.post(
    "/phases/{phase_id}/redraws",
    response_model=RedrawPublic,
    status_code=status.HTTP_201_CREATED,
    dependencies=[SECRETARIAT_ONLY],
)
async def request_redraw(
    phase_id: str, body: RedrawCreate, runtime: Runtime
) -> RedrawPublic:
    request = redraws.RedrawBody(
        **body.model_dump(exclude={"exceptional_decision"}),
        exceptional_decision=(
            body.exceptional_decision.recorded() if body.exceptional_decision else None
        ),
    )
    async with runtime.transaction() as session:
        row = await redraws.request_redraw(session, phase_id, request)
    return _redraw_public(row)


@router.get("/phases/{phase_id}/redraws", response_model=list[RedrawPublic])
async def list_redraws(phase_id: str, runtime: Runtime) -> list[RedrawPublic]:
    async with runtime.session() as session:
        await phases.get_phase(session, phase_id)
        rows = await draws.list_redraws(session, phase_id)
    return [_redraw_public(r) for r in rows]


def _redraw_public(row: RedrawRow) -> RedrawPublic:
    record = draws.redraw_record(row)
    return RedrawPublic.model_validate(record.model_dump())
