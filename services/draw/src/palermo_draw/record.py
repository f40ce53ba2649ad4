"""The public record of a draw: every input and result, as the API returns it.

`GET /phases/{phase_id}/draw/record` returns a `DrawRecord`, and
`POST /verifications` and `palermo-draw-verify` read the same JSON, so
anyone can re-run the draw and its redraws without access to the service.
As a request body, a record gets 422 for a control character or a lone
surrogate in its text. Fields it does not define are ignored, because a
record published by a later release may carry more.
"""

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StrictBool, StrictInt

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
from palermo_shared.request_body import distinct
from palermo_shared.text import MULTI_LINE, SingleLineText

# Reasons and notes that the service writes, and the reason a State gives
# for a redraw, which may span several lines.
RecordText = Annotated[str, MULTI_LINE]


class PartyRecord(BaseModel):
    iso3: SingleLineText
    regional_group: SingleLineText | None
    legal_system: SingleLineText | None


class AssignmentRecord(BaseModel):
    instrument: Instrument
    state_under_review: SingleLineText
    same_group_reviewer: SingleLineText
    other_group_reviewer: SingleLineText
    similar_legal_system: StrictBool
    legal_system_note: RecordText | None


class NotDrawnRecord(BaseModel):
    instrument: Instrument
    state: SingleLineText
    reason: RecordText


class DrawResultRecord(BaseModel):
    assignments: list[AssignmentRecord]
    not_drawn: list[NotDrawnRecord]


class RedrawRecord(BaseModel):
    number: StrictInt = Field(description="Order of the redraw in the phase, from 1")
    instrument: Instrument
    state_under_review: SingleLineText
    requested_by: SingleLineText
    reason: RecordText
    meeting_id: SingleLineText
    seed: SingleLineText
    replaced: list[SingleLineText]
    exceptional_decision: ExceptionalDecision | None
    requested_at: IsoDatetime
    result: list[AssignmentRecord] = Field(
        description="The assignments of the review that the redraw changed"
    )


class DrawRecord(BaseModel):
    phase_id: SingleLineText
    years: SingleLineText
    # The re-run draws a repeated instrument once, so a record that
    # misstates the draw's instruments that way would still verify.
    instruments: Annotated[list[Instrument], AfterValidator(distinct)]
    draw_date: IsoDate
    mode: DrawMode
    ruleset_version: StrictInt
    seed: SingleLineText
    seed_source: Literal["commitment", "announced_values"]
    seed_sha256: SingleLineText | None = Field(
        description="SHA-256 committed before the meeting; null for announced values"
    )
    announced_values: list[SingleLineText] | None
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


def party_record(party: Party) -> PartyRecord:
    return PartyRecord(
        iso3=party.iso3,
        regional_group=party.regional_group,
        legal_system=party.legal_system,
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
