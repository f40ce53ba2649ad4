"""Opening review phases and drawing their lots: state changes and events."""

import datetime as dt
import uuid

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_draw.domain.lots import RULESET_VERSION, DrawResult, draw_lots
from palermo_draw.tables import Draw, LotAssignment, LotNotDrawn, Phase
from palermo_shared.clock import utcnow
from palermo_shared.contracts import DrawnReviewer, LotsDrawn, ReviewPhaseOpened
from palermo_shared.errors import Conflict, NotFound
from palermo_shared.events import new_event
from palermo_shared.outbox import record_event
from palermo_shared.reference.instruments import (
    WORKING_GROUPS,
    WORKPLAN,
    Instrument,
    clusters_reviewed,
)
from palermo_shared.reference.states import StateParty, load_states

SOURCE = "/palermo/draw"


def parties_by_instrument(
    instruments: list[Instrument], day: dt.date
) -> dict[Instrument, list[str]]:
    registry = load_states()
    return {
        instrument: sorted(
            iso3 for iso3, state in registry.items() if state.party_to(instrument, day)
        )
        for instrument in instruments
    }


async def open_phase(
    session: AsyncSession,
    *,
    years: str,
    instruments: list[Instrument],
    draw_date: dt.date,
) -> Phase:
    phase = Phase(
        id=str(uuid.uuid4()),
        years=years,
        instruments=[i.value for i in instruments],
        clusters=[c.value for c in WORKPLAN[years].clusters],
        draw_date=draw_date,
        opened_at=utcnow(),
    )
    session.add(phase)
    payload = ReviewPhaseOpened(
        phase_id=phase.id,
        years=years,
        clusters=list(WORKPLAN[years].clusters),
        instruments=instruments,
        working_groups={i: WORKING_GROUPS[i] for i in instruments},
        draw_date=draw_date,
        states_under_review=parties_by_instrument(instruments, draw_date),
    )
    record_event(
        session, new_event(payload, source=SOURCE, subject=f"phase/{phase.id}")
    )
    return phase


async def get_phase(session: AsyncSession, phase_id: str) -> Phase:
    phase = await session.get(Phase, phase_id)
    if phase is None:
        raise NotFound(f"review phase {phase_id} not found")
    return phase


async def draw_phase(session: AsyncSession, phase_id: str, *, seed: str) -> Draw:
    """Draw the lots of a phase once; a second draw is a conflict."""
    phase = await get_phase(session, phase_id)
    if await session.get(Draw, phase_id) is not None:
        raise Conflict(f"lots for phase {phase_id} were already drawn")

    registry = load_states()
    instruments = [Instrument(i) for i in phase.instruments]
    result = draw_lots(registry, instruments, day=phase.draw_date, seed=seed)

    draw = Draw(
        phase_id=phase_id, seed=seed, ruleset_version=RULESET_VERSION, drawn_at=utcnow()
    )
    session.add(draw)
    _store_result(session, phase, result)
    _record_lots_drawn(session, phase, result, registry)
    return draw


def _store_result(session: AsyncSession, phase: Phase, result: DrawResult) -> None:
    for a in result.assignments:
        session.add(
            LotAssignment(
                phase_id=phase.id,
                instrument=a.instrument.value,
                state_under_review=a.state_under_review,
                same_group_reviewer=a.same_group_reviewer,
                other_group_reviewer=a.other_group_reviewer,
                similar_legal_system=a.similar_legal_system,
                legal_system_note=a.legal_system_note,
            )
        )
    for n in result.not_drawn:
        session.add(
            LotNotDrawn(
                phase_id=phase.id,
                instrument=n.instrument.value,
                state=n.state,
                reason=n.reason,
            )
        )


def _reviewer(state: StateParty, role: str) -> DrawnReviewer:
    assert state.regional_group is not None
    return DrawnReviewer(
        iso3=state.iso3,
        regional_group=state.regional_group,
        legal_system=state.legal_system,
        role=role,  # type: ignore[arg-type]
    )


def _record_lots_drawn(
    session: AsyncSession,
    phase: Phase,
    result: DrawResult,
    registry: dict[str, StateParty],
) -> None:
    for a in result.assignments:
        state = registry[a.state_under_review]
        assert state.regional_group is not None
        payload = LotsDrawn(
            phase_id=phase.id,
            instrument=a.instrument,
            state_under_review=a.state_under_review,
            regional_group=state.regional_group,
            clusters=list(clusters_reviewed(a.instrument, phase.years)),
            reviewers=[
                _reviewer(registry[a.same_group_reviewer], "same_regional_group"),
                _reviewer(registry[a.other_group_reviewer], "other_regional_group"),
            ],
            similar_legal_system=a.similar_legal_system,
            legal_system_note=a.legal_system_note,
        )
        subject = f"{a.state_under_review}/{a.instrument.value}"
        record_event(session, new_event(payload, source=SOURCE, subject=subject))


async def list_assignments(session: AsyncSession, phase_id: str) -> list[LotAssignment]:
    query = (
        select(LotAssignment)
        .where(LotAssignment.phase_id == phase_id)
        .order_by(col(LotAssignment.instrument), col(LotAssignment.state_under_review))
    )
    return list((await session.exec(query)).all())


async def list_not_drawn(session: AsyncSession, phase_id: str) -> list[LotNotDrawn]:
    query = (
        select(LotNotDrawn)
        .where(LotNotDrawn.phase_id == phase_id)
        .order_by(col(LotNotDrawn.instrument), col(LotNotDrawn.state))
    )
    return list((await session.exec(query)).all())
