"""The public record of a draw: every input and result, as the API returns it.

`GET /phases/{phase_id}/draw/record` returns a `DrawRecord`, and
`palermo-draw-verify` reads the same JSON, so anyone can re-run the draw
and its redraws without access to the service.
"""

from typing import Literal

from pydantic import BaseModel, Field

from palermo_draw.domain.lots import Redraw, review_key
from palermo_draw.domain.model import (
    Assignment,
    DrawMode,
    DrawResult,
    NotDrawn,
    Party,
)
from palermo_draw.domain.verification import PublishedDraw, PublishedRedraw
from palermo_shared.contracts.draw import ExceptionalDecision, MeetingReference
from palermo_shared.dates import IsoDate, IsoDatetime
from palermo_shared.reference.instruments import Instrument


class PartyRecord(BaseModel):
    iso3: str
    regional_group: str | None
    legal_system: str | None


class AssignmentRecord(BaseModel):
    instrument: Instrument
    state_under_review: str
    same_group_reviewer: str
    other_group_reviewer: str
    similar_legal_system: bool
    legal_system_note: str | None


class NotDrawnRecord(BaseModel):
    instrument: Instrument
    state: str
    reason: str


class DrawResultRecord(BaseModel):
    assignments: list[AssignmentRecord]
    not_drawn: list[NotDrawnRecord]


class RedrawRecord(BaseModel):
    number: int = Field(description="Order of the redraw in the phase, from 1")
    instrument: Instrument
    state_under_review: str
    requested_by: str
    reason: str
    meeting_id: str
    seed: str
    replaced: list[str]
    exceptional_decision: ExceptionalDecision | None
    requested_at: IsoDatetime
    result: list[AssignmentRecord] = Field(
        description="The assignments of the review that the redraw changed"
    )


class DrawRecord(BaseModel):
    phase_id: str
    years: str
    instruments: list[Instrument]
    draw_date: IsoDate
    mode: DrawMode
    ruleset_version: int
    seed: str
    seed_source: Literal["commitment", "announced_values"]
    seed_sha256: str | None = Field(
        description="SHA-256 committed before the meeting; null for announced values"
    )
    announced_values: list[str] | None
    meeting: MeetingReference | None
    drawn_at: IsoDatetime
    parties: dict[Instrument, list[PartyRecord]] = Field(
        description="Parties to each instrument on the draw date, as drawn from"
    )
    initial: DrawResultRecord
    redraws: list[RedrawRecord]
    assignments: list[AssignmentRecord] = Field(
        description="The current assignments, after every redraw"
    )


def assignment_record(assignment: Assignment) -> AssignmentRecord:
    return AssignmentRecord(
        instrument=assignment.instrument,
        state_under_review=assignment.state_under_review,
        same_group_reviewer=assignment.same_group_reviewer,
        other_group_reviewer=assignment.other_group_reviewer,
        similar_legal_system=assignment.similar_legal_system,
        legal_system_note=assignment.legal_system_note,
    )


def result_record(result: DrawResult) -> DrawResultRecord:
    return DrawResultRecord(
        assignments=[assignment_record(a) for a in result.assignments],
        not_drawn=[
            NotDrawnRecord(instrument=n.instrument, state=n.state, reason=n.reason)
            for n in result.not_drawn
        ],
    )


def to_assignment(record: AssignmentRecord) -> Assignment:
    return Assignment(
        instrument=record.instrument,
        state_under_review=record.state_under_review,
        same_group_reviewer=record.same_group_reviewer,
        other_group_reviewer=record.other_group_reviewer,
        similar_legal_system=record.similar_legal_system,
        legal_system_note=record.legal_system_note,
    )


def to_parties(
    parties: dict[Instrument, list[PartyRecord]], instruments: list[Instrument]
) -> dict[Instrument, list[Party]]:
    """Return the parties per instrument, in the phase's order of instruments."""
    return {
        instrument: [
            Party(p.iso3, p.regional_group, p.legal_system)
            for p in parties.get(instrument, [])
        ]
        for instrument in instruments
    }


def redraw_request(mode: DrawMode, redraws: list[RedrawRecord], index: int) -> Redraw:
    """Return the domain request of `redraws[index]`, its exclusions recomputed.

    The exclusions are every reviewer replaced in the same review by this
    redraw or an earlier one, so a record cannot make the verifier skip
    one.
    """
    entry = redraws[index]
    key = review_key(mode, entry.instrument, entry.state_under_review)
    excluded = {
        reviewer
        for earlier in redraws[: index + 1]
        if review_key(mode, earlier.instrument, earlier.state_under_review) == key
        for reviewer in earlier.replaced
    }
    return Redraw(
        number=entry.number,
        instrument=entry.instrument,
        state_under_review=entry.state_under_review,
        replaced=tuple(entry.replaced),
        excluded=frozenset(excluded),
        seed=entry.seed,
    )


def published_draw(record: DrawRecord) -> PublishedDraw:
    """Return the domain view of a record, for `verification.verify`."""
    initial = DrawResult(
        assignments=tuple(to_assignment(a) for a in record.initial.assignments),
        not_drawn=tuple(
            NotDrawn(n.instrument, n.state, n.reason) for n in record.initial.not_drawn
        ),
    )
    redraws = [
        PublishedRedraw(
            request=redraw_request(record.mode, record.redraws, index),
            result=tuple(to_assignment(a) for a in entry.result),
        )
        for index, entry in enumerate(record.redraws)
    ]
    return PublishedDraw(
        ruleset_version=record.ruleset_version,
        mode=record.mode,
        seed=record.seed,
        seed_source=record.seed_source,
        seed_sha256=record.seed_sha256,
        announced_values=record.announced_values,
        parties=to_parties(record.parties, record.instruments),
        initial=initial,
        redraws=redraws,
        current=[to_assignment(a) for a in record.assignments],
    )
