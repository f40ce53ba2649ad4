"""Review phases, the meetings that draw their lots and their seed commitments."""

import datetime as dt
import logging

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_draw.domain.model import DrawMode, Party
from palermo_draw.registry import registry_at
from palermo_draw.tables import Draw, Meeting, Phase, SeedCommitment
from palermo_shared.clock import utcnow
from palermo_shared.contracts.draw import (
    MeetingRecorded,
    MeetingReference,
    ReviewPhaseOpened,
    SeedCommitted,
)
from palermo_shared.db import lock_until_commit
from palermo_shared.errors import Conflict, InvalidInput, NotFound
from palermo_shared.events import new_event
from palermo_shared.ids import new_id
from palermo_shared.outbox import record_event
from palermo_shared.reference.instruments import WORKING_GROUPS, WORKPLAN, Instrument
from palermo_shared.reference.states import StateParty

logger = logging.getLogger(__name__)

SOURCE = "/palermo/draw"
# Taken by every transaction that opens a phase.
PHASES_LOCK = "palermo_draw.phases"


def parties_by_instrument(
    registry: dict[str, StateParty], instruments: list[Instrument], day: dt.date
) -> dict[Instrument, list[Party]]:
    """Return the parties to each instrument on `day`, with what the draw uses."""
    return {
        instrument: [
            Party(state.iso3, state.regional_group, state.legal_system)
            for iso3, state in sorted(registry.items())
            if state.party_to(instrument, day)
        ]
        for instrument in instruments
    }


async def open_phase(
    session: AsyncSession,
    *,
    years: str,
    instruments: list[Instrument],
    draw_date: dt.date,
    mode: DrawMode,
) -> Phase:
    """Open a phase, or raise `Conflict` when one already reviews an instrument.

    A workplan period reviews each instrument once, in one phase with one
    drawing of lots, so a second phase of the same years for the same
    instrument would draw a second pair of reviewers for every State.
    """
    await lock_until_commit(session, PHASES_LOCK)
    await _check_instruments_free(session, years, instruments)

    phase = Phase(
        id=new_id(),
        years=years,
        instruments=[i.value for i in instruments],
        clusters=[c.value for c in WORKPLAN[years].clusters],
        mode=mode.value,
        draw_date=draw_date,
        opened_at=utcnow(),
    )
    session.add(phase)

    registry = await registry_at(session, draw_date)
    parties = parties_by_instrument(registry, instruments, draw_date)
    payload = ReviewPhaseOpened(
        phase_id=phase.id,
        years=years,
        clusters=list(WORKPLAN[years].clusters),
        instruments=instruments,
        working_groups={i: WORKING_GROUPS[i] for i in instruments},
        draw_date=draw_date,
        states_under_review={i: [p.iso3 for p in ps] for i, ps in parties.items()},
        mode=mode.value,
    )
    record_event(
        session, new_event(payload, source=SOURCE, subject=f"phase/{phase.id}")
    )
    logger.info("Opened review phase %s (%s, %s)", phase.id, years, mode.value)
    return phase


async def _check_instruments_free(
    session: AsyncSession, years: str, instruments: list[Instrument]
) -> None:
    query = select(Phase).where(Phase.years == years).order_by(col(Phase.opened_at))
    for phase in (await session.exec(query)).all():
        shared = [i.value for i in instruments if i.value in phase.instruments]
        if shared:
            raise Conflict(
                f"review phase {phase.id} already reviews {', '.join(shared)} for "
                f"workplan years {years}, and each instrument has one phase per "
                f"period; use that phase (GET /phases/{phase.id}), or open a "
                "phase for the other instruments only",
                phase_id=phase.id,
            )


async def get_phase(
    session: AsyncSession, phase_id: str, *, for_update: bool = False
) -> Phase:
    """Return the phase, locked until the transaction ends with `for_update`.

    The seed commitment, the draw and the redraws of a phase pass
    `for_update`: on PostgreSQL two requests would otherwise both find no
    draw or the same redraw count, and the second would fail on a unique
    key with a 500. SQLite writers already run one at a time.
    """
    phase = await session.get(Phase, phase_id, with_for_update=for_update)
    if phase is None:
        raise NotFound(f"review phase {phase_id} not found")
    return phase


async def record_meeting(
    session: AsyncSession,
    phase_id: str,
    *,
    kind: str,
    date: dt.date,
    states_present: list[str],
) -> Meeting:
    await get_phase(session, phase_id)
    registry = await registry_at(session, date)
    unknown = sorted(set(states_present) - set(registry))
    if unknown:
        raise InvalidInput(
            f"unknown States in the registry: {', '.join(unknown)}",
            field="states_present",
        )

    meeting = Meeting(
        id=new_id(),
        phase_id=phase_id,
        kind=kind,
        date=date,
        states_present=sorted(states_present),
        recorded_at=utcnow(),
    )
    session.add(meeting)
    payload = MeetingRecorded(phase_id=phase_id, meeting=meeting_reference(meeting))
    record_event(
        session, new_event(payload, source=SOURCE, subject=f"phase/{phase_id}")
    )
    return meeting


def meeting_reference(meeting: Meeting) -> MeetingReference:
    return MeetingReference(
        meeting_id=meeting.id,
        kind=meeting.kind,
        date=meeting.date,
        states_present=meeting.states_present,
    )


async def list_meetings(session: AsyncSession, phase_id: str) -> list[Meeting]:
    await get_phase(session, phase_id)
    query = (
        select(Meeting)
        .where(Meeting.phase_id == phase_id)
        .order_by(col(Meeting.date), col(Meeting.recorded_at))
    )
    return list((await session.exec(query)).all())


async def meeting_of(
    session: AsyncSession, phase_id: str, meeting_id: str, *, kinds: tuple[str, ...]
) -> Meeting:
    """Return a meeting of the phase, or raise a 422 on `meeting_id`."""
    meeting = await session.get(Meeting, meeting_id)
    if meeting is None or meeting.phase_id != phase_id:
        raise InvalidInput(
            f"meeting {meeting_id} not found for review phase {phase_id}; record "
            f"it first with POST /phases/{phase_id}/meetings",
            field="meeting_id",
        )
    if meeting.kind not in kinds:
        raise InvalidInput(
            f"meeting {meeting_id} is a {meeting.kind} meeting; expected "
            f"{' or '.join(kinds)}",
            field="meeting_id",
        )
    return meeting


async def commit_seed(
    session: AsyncSession, phase_id: str, *, seed_sha256: str
) -> SeedCommitment:
    """Store the SHA-256 of the seed before the meeting, once per phase."""
    await get_phase(session, phase_id, for_update=True)
    if await session.get(Draw, phase_id) is not None:
        raise Conflict(f"lots for phase {phase_id} were already drawn")
    if await session.get(SeedCommitment, phase_id) is not None:
        raise Conflict(f"a seed commitment for phase {phase_id} already exists")

    commitment = SeedCommitment(
        phase_id=phase_id, seed_sha256=seed_sha256, committed_at=utcnow()
    )
    session.add(commitment)
    payload = SeedCommitted(
        phase_id=phase_id,
        seed_sha256=seed_sha256,
        committed_at=commitment.committed_at,
    )
    record_event(
        session, new_event(payload, source=SOURCE, subject=f"phase/{phase_id}")
    )
    logger.info("Committed seed hash %s for phase %s", seed_sha256, phase_id)
    return commitment


async def get_commitment(session: AsyncSession, phase_id: str) -> SeedCommitment:
    await get_phase(session, phase_id)
    commitment = await session.get(SeedCommitment, phase_id)
    if commitment is None:
        raise NotFound(f"no seed commitment for phase {phase_id}")
    return commitment
