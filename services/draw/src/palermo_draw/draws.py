"""Drawing a phase's lots at a meeting: the seed, the result, its record and events."""

import logging

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_draw.domain.lots import draw_lots
from palermo_draw.domain.model import RULESET_VERSION, Assignment, DrawMode, Party
from palermo_draw.domain.verification import seed_from_announced, seed_hash
from palermo_draw.phases import (
    SOURCE,
    get_phase,
    meeting_of,
    meeting_reference,
    parties_by_instrument,
)
from palermo_draw.record import (
    AssignmentRecord,
    DrawRecord,
    DrawResultRecord,
    PartyRecord,
    RedrawRecord,
    party_record,
    result_record,
    to_parties,
)
from palermo_draw.registry import registry_at
from palermo_draw.tables import (
    Draw,
    LotAssignment,
    LotNotDrawn,
    Meeting,
    Phase,
    RedrawRow,
    SeedCommitment,
)
from palermo_shared.clock import utcnow
from palermo_shared.contracts.draw import DrawnReviewer, LotsDrawn, MeetingReference
from palermo_shared.errors import Conflict, InvalidInput, NotFound
from palermo_shared.events import new_event
from palermo_shared.outbox import record_event
from palermo_shared.reference.instruments import Instrument, clusters_reviewed
from palermo_shared.reference.states import StateParty

logger = logging.getLogger(__name__)


async def draw_phase(
    session: AsyncSession,
    phase_id: str,
    *,
    meeting_id: str,
    seed: str | None,
    announced_values: list[str] | None,
) -> Draw:
    """Draw the lots of a phase once, at an intersessional meeting."""
    phase = await get_phase(session, phase_id, for_update=True)
    if await session.get(Draw, phase_id) is not None:
        raise Conflict(f"lots for phase {phase_id} were already drawn")
    meeting = await meeting_of(session, phase_id, meeting_id, kinds=("intersessional",))
    commitment = await session.get(SeedCommitment, phase_id)
    seed = _revealed_seed(phase_id, commitment, seed, announced_values)
    if commitment is not None:
        _check_meeting_after_commitment(meeting, commitment)

    registry = await registry_at(session, phase.draw_date)
    instruments = [Instrument(i) for i in phase.instruments]
    parties = parties_by_instrument(registry, instruments, phase.draw_date)
    mode = DrawMode(phase.mode)
    result = draw_lots(parties, mode=mode, seed=seed)

    draw = Draw(
        phase_id=phase_id,
        seed=seed,
        seed_source="announced_values" if announced_values else "commitment",
        announced_values=announced_values,
        ruleset_version=RULESET_VERSION,
        mode=mode.value,
        meeting_id=meeting.id,
        parties={
            i.value: [party_record(p).model_dump() for p in ps]
            for i, ps in parties.items()
        },
        initial=result_record(result).model_dump(mode="json"),
        drawn_at=utcnow(),
    )
    session.add(draw)
    _store_result(session, phase, result.assignments, result.not_drawn)
    context = EventContext(phase, registry, mode, meeting_reference(meeting))
    for assignment in result.assignments:
        _record_lots_drawn(session, context, assignment)
    logger.info(
        "Drew lots for phase %s: %d assignments, %d not drawn",
        phase_id,
        len(result.assignments),
        len(result.not_drawn),
    )
    return draw


def _revealed_seed(
    phase_id: str,
    commitment: SeedCommitment | None,
    seed: str | None,
    announced_values: list[str] | None,
) -> str:
    """Return the draw's seed, checked against the phase's commitment."""
    if announced_values is not None:
        if commitment is not None:
            raise Conflict(
                f"phase {phase_id} has a seed commitment; reveal the committed "
                "seed instead of announced values"
            )
        return seed_from_announced(announced_values)
    assert seed is not None
    if commitment is None:
        raise Conflict(
            f"no seed commitment for phase {phase_id}; publish the seed's SHA-256 "
            f"with POST /phases/{phase_id}/seed-commitment before the meeting"
        )
    if seed_hash(seed) != commitment.seed_sha256:
        raise Conflict(
            f"the revealed seed does not match the commitment of phase {phase_id}: "
            f"its SHA-256 is {seed_hash(seed)}, the commitment is "
            f"{commitment.seed_sha256}"
        )
    return seed


def _check_meeting_after_commitment(
    meeting: Meeting, commitment: SeedCommitment
) -> None:
    """Raise `InvalidInput` when the meeting is dated before the commitment.

    The commitment binds the seed before the meeting, so that no one can
    pick a seed knowing its draw. A meeting dated earlier would let the
    record show lots drawn with a seed that was not yet committed.
    """
    committed_on = commitment.committed_at.date()
    if meeting.date < committed_on:
        raise InvalidInput(
            f"meeting {meeting.id} is dated {meeting.date}, before the seed "
            f"commitment of {committed_on} (UTC); draw at a meeting held on or "
            "after the commitment",
            field="meeting_id",
        )


class EventContext:
    """Values every draw event of one phase repeats: phase, registry, mode, meeting."""

    def __init__(
        self,
        phase: Phase,
        registry: dict[str, StateParty],
        mode: DrawMode,
        meeting: MeetingReference,
    ) -> None:
        self.phase = phase
        self.registry = registry
        self.mode = mode
        self.meeting = meeting

    def reviewers(self, assignment: Assignment) -> list[DrawnReviewer]:
        return [
            self.reviewer(assignment.same_group_reviewer, "same_regional_group"),
            self.reviewer(assignment.other_group_reviewer, "other_regional_group"),
        ]

    def reviewer(self, iso3: str, role: str) -> DrawnReviewer:
        state = self.registry[iso3]
        assert state.regional_group is not None
        return DrawnReviewer(
            iso3=iso3,
            regional_group=state.regional_group,
            legal_system=state.legal_system,
            role=role,
        )

    def regional_group(self, iso3: str) -> str:
        group = self.registry[iso3].regional_group
        assert group is not None
        return group

    def clusters(self, instrument: Instrument) -> list[str]:
        return list(clusters_reviewed(instrument, self.phase.years))


def _record_lots_drawn(
    session: AsyncSession, context: EventContext, assignment: Assignment
) -> None:
    payload = LotsDrawn(
        phase_id=context.phase.id,
        instrument=assignment.instrument,
        state_under_review=assignment.state_under_review,
        regional_group=context.regional_group(assignment.state_under_review),
        clusters=context.clusters(assignment.instrument),
        reviewers=context.reviewers(assignment),
        similar_legal_system=assignment.similar_legal_system,
        legal_system_note=assignment.legal_system_note,
        mode=context.mode.value,
        ruleset_version=RULESET_VERSION,
        meeting=context.meeting,
        redraw_count=0,
    )
    subject = f"{assignment.state_under_review}/{assignment.instrument.value}"
    record_event(session, new_event(payload, source=SOURCE, subject=subject))


def _store_result(
    session: AsyncSession,
    phase: Phase,
    assignments: tuple[Assignment, ...],
    not_drawn: tuple,  # type: ignore[type-arg]
) -> None:
    for a in assignments:
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
    for n in not_drawn:
        session.add(
            LotNotDrawn(
                phase_id=phase.id,
                instrument=n.instrument.value,
                state=n.state,
                reason=n.reason,
            )
        )


async def get_draw(session: AsyncSession, phase_id: str) -> Draw:
    await get_phase(session, phase_id)
    draw = await session.get(Draw, phase_id)
    if draw is None:
        raise NotFound(f"lots for phase {phase_id} have not been drawn yet")
    return draw


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


async def list_redraws(session: AsyncSession, phase_id: str) -> list[RedrawRow]:
    query = (
        select(RedrawRow)
        .where(RedrawRow.phase_id == phase_id)
        .order_by(col(RedrawRow.number))
    )
    return list((await session.exec(query)).all())


def drawn_parties(
    draw: Draw, instruments: list[Instrument]
) -> dict[Instrument, list[Party]]:
    """Return the parties the draw was made from, as stored with it."""
    records = {
        Instrument(i): [PartyRecord.model_validate(p) for p in parties]
        for i, parties in draw.parties.items()
    }
    return to_parties(records, instruments)


def current_assignment(row: LotAssignment) -> Assignment:
    return Assignment(
        instrument=Instrument(row.instrument),
        state_under_review=row.state_under_review,
        same_group_reviewer=row.same_group_reviewer,
        other_group_reviewer=row.other_group_reviewer,
        similar_legal_system=row.similar_legal_system,
        legal_system_note=row.legal_system_note,
    )


async def draw_record(session: AsyncSession, phase_id: str) -> DrawRecord:
    """Return every input and result of the phase's draw, redraws in order."""
    phase = await get_phase(session, phase_id)
    draw = await get_draw(session, phase_id)
    commitment = await session.get(SeedCommitment, phase_id)
    meeting = await session.get(Meeting, draw.meeting_id) if draw.meeting_id else None
    redraws = await list_redraws(session, phase_id)
    assignments = await list_assignments(session, phase_id)
    order = {i: n for n, i in enumerate(phase.instruments)}
    assignments.sort(key=lambda a: (order[a.instrument], a.state_under_review))
    return DrawRecord(
        phase_id=phase_id,
        years=phase.years,
        instruments=[Instrument(i) for i in phase.instruments],
        draw_date=phase.draw_date,
        mode=DrawMode(draw.mode),
        ruleset_version=draw.ruleset_version,
        seed=draw.seed,
        seed_source=draw.seed_source,
        seed_sha256=commitment.seed_sha256 if commitment else None,
        announced_values=draw.announced_values,
        meeting=meeting_reference(meeting) if meeting else None,
        drawn_at=draw.drawn_at,
        parties=draw.parties,
        initial=DrawResultRecord.model_validate(draw.initial),
        redraws=[redraw_record(r) for r in redraws],
        assignments=[
            AssignmentRecord(**vars(current_assignment(a))) for a in assignments
        ],
    )


def redraw_record(row: RedrawRow) -> RedrawRecord:
    decision = None
    if row.decided_by is not None:
        decision = {
            "decided_by": row.decided_by,
            "decided_on": row.decided_on,
            "reason": row.decision_reason,
        }
    return RedrawRecord(
        number=row.number,
        instrument=Instrument(row.instrument),
        state_under_review=row.state_under_review,
        requested_by=row.requested_by,
        reason=row.reason,
        meeting_id=row.meeting_id,
        seed=row.seed,
        replaced=row.replaced,
        exceptional_decision=decision,
        requested_at=row.requested_at,
        result=[AssignmentRecord.model_validate(a) for a in row.result],
    )
