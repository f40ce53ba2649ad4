"""Repeating the drawing of lots for one review, at a State's request.

The State under review and each reviewing State may request a redraw at
most `REQUESTS_PER_STATE` times per review. A further one needs a recorded
decision for exceptional circumstances (who decided, when and why).
"""

import logging
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_draw.domain.lots import Redraw, redraw, review_key
from palermo_draw.domain.model import Assignment, DrawMode, NoCandidate
from palermo_draw.draws import (
    EventContext,
    current_assignment,
    drawn_parties,
    list_assignments,
    list_redraws,
)
from palermo_draw.phases import SOURCE, get_phase, meeting_of, meeting_reference
from palermo_draw.record import assignment_record
from palermo_draw.registry import registry_at
from palermo_draw.tables import Draw, LotAssignment, Meeting, Phase, RedrawRow
from palermo_shared.clock import utcnow
from palermo_shared.contracts.draw import (
    ExceptionalDecision,
    LotsRedrawn,
    RedrawRequested,
)
from palermo_shared.errors import Conflict, Forbidden, InvalidInput
from palermo_shared.events import new_event
from palermo_shared.outbox import record_event
from palermo_shared.reference.instruments import Instrument

logger = logging.getLogger(__name__)

REQUESTS_PER_STATE = 2


@dataclass(frozen=True)
class RedrawBody:
    instrument: Instrument
    state_under_review: str
    requested_by: str
    reason: str
    meeting_id: str
    seed: str
    reviewers: list[str] | None
    exceptional_decision: ExceptionalDecision | None


async def request_redraw(
    session: AsyncSession, phase_id: str, body: RedrawBody
) -> RedrawRow:
    """Check the request, draw the replacements, store them and their events."""
    phase = await get_phase(session, phase_id, for_update=True)
    draw = await session.get(Draw, phase_id)
    if draw is None:
        # The phase exists, so this is a step out of order, not a missing
        # resource.
        raise Conflict(
            f"lots for phase {phase_id} have not been drawn yet: draw them "
            "before requesting a redraw"
        )
    mode = DrawMode(draw.mode)
    rows = {
        (Instrument(r.instrument), r.state_under_review): r
        for r in await list_assignments(session, phase_id)
    }
    target = _target(phase, rows, body)
    meeting = await meeting_of(
        session, phase_id, body.meeting_id, kinds=("intersessional", "regular_session")
    )
    await _check_after_draw(session, draw, meeting)
    registry = await registry_at(session, phase.draw_date)
    if body.requested_by not in registry:
        raise InvalidInput(
            f"unknown State {body.requested_by} in the registry", field="requested_by"
        )
    _check_requester(mode, rows, target, body)
    replaced = _replaced(target, body)
    history = await list_redraws(session, phase_id)
    same_review = _same_review(mode, history, body)
    by_requester = [r for r in same_review if r.requested_by == body.requested_by]
    _check_allowance(body, len(by_requester))

    request = Redraw(
        number=len(history) + 1,
        instrument=body.instrument,
        state_under_review=body.state_under_review,
        replaced=tuple(replaced),
        excluded=frozenset({r for row in same_review for r in row.replaced}).union(
            replaced
        ),
        seed=body.seed,
    )
    parties = drawn_parties(draw, [Instrument(i) for i in phase.instruments])
    current = [current_assignment(r) for r in rows.values()]
    try:
        changed = redraw(parties, mode=mode, current=current, request=request)
    except NoCandidate as error:
        raise Conflict(f"no replacement can be drawn: {error}") from None

    row = _redraw_row(phase_id, request, body, meeting.id, changed)
    session.add(row)
    replaced_in = _apply(rows, changed, replaced)
    context = EventContext(phase, registry, mode, meeting_reference(meeting))
    counts = RedrawCounts(len(same_review) + 1, len(by_requester) + 1)
    _record_events(session, context, body, replaced, counts, changed, replaced_in)
    logger.info(
        "Redrew %s for %s (%s) in phase %s at the request of %s",
        ", ".join(replaced),
        body.state_under_review,
        body.instrument.value,
        phase_id,
        body.requested_by,
    )
    return row


async def _check_after_draw(
    session: AsyncSession, draw: Draw, meeting: Meeting
) -> None:
    """Raise unless the redraw's meeting is held on or after the draw's."""
    if draw.meeting_id is None:
        return
    drawn_at = await session.get(Meeting, draw.meeting_id)
    if drawn_at is not None and meeting.date < drawn_at.date:
        raise InvalidInput(
            f"meeting {meeting.id} of {meeting.date} is before the meeting of "
            f"{drawn_at.date} at which the lots were drawn; a redraw is held "
            "at a later meeting",
            field="meeting_id",
        )


def _same_review(
    mode: DrawMode, history: list[RedrawRow], body: RedrawBody
) -> list[RedrawRow]:
    key = review_key(mode, body.instrument, body.state_under_review)
    return [
        r
        for r in history
        if review_key(mode, Instrument(r.instrument), r.state_under_review) == key
    ]


def _redraw_row(
    phase_id: str,
    request: Redraw,
    body: RedrawBody,
    meeting_id: str,
    changed: list[Assignment],
) -> RedrawRow:
    decision = body.exceptional_decision
    return RedrawRow(
        phase_id=phase_id,
        number=request.number,
        instrument=body.instrument.value,
        state_under_review=body.state_under_review,
        requested_by=body.requested_by,
        reason=body.reason,
        meeting_id=meeting_id,
        seed=body.seed,
        replaced=list(request.replaced),
        decided_by=decision.decided_by if decision else None,
        decided_on=decision.decided_on if decision else None,
        decision_reason=decision.reason if decision else None,
        result=[assignment_record(a).model_dump(mode="json") for a in changed],
        requested_at=utcnow(),
    )


def _apply(
    rows: dict[tuple[Instrument, str], LotAssignment],
    changed: list[Assignment],
    replaced: list[str],
) -> dict[tuple[Instrument, str], list[str]]:
    """Update the stored assignments; return the reviewers each one lost."""
    replaced_in = {}
    for assignment in changed:
        key = (assignment.instrument, assignment.state_under_review)
        old = (rows[key].same_group_reviewer, rows[key].other_group_reviewer)
        replaced_in[key] = [r for r in replaced if r in old]
        _update(rows[key], assignment)
    return replaced_in


def _target(
    phase: Phase,
    rows: dict[tuple[Instrument, str], LotAssignment],
    body: RedrawBody,
) -> LotAssignment:
    if body.instrument.value not in phase.instruments:
        raise InvalidInput(
            f"instrument {body.instrument.value} is not reviewed in phase {phase.id}",
            field="instrument",
        )
    row = rows.get((body.instrument, body.state_under_review))
    if row is None:
        raise InvalidInput(
            f"{body.state_under_review} has no drawn reviewers for the "
            f"{body.instrument.value} instrument in phase {phase.id}",
            field="state_under_review",
        )
    return row


def _participants(
    mode: DrawMode,
    rows: dict[tuple[Instrument, str], LotAssignment],
    body: RedrawBody,
) -> set[str]:
    """Return the States of the review: the State and every current reviewer."""
    instruments = [body.instrument]
    if mode is DrawMode.PER_REVIEW:
        instruments = list(Instrument)
    participants = {body.state_under_review}
    for instrument in instruments:
        row = rows.get((instrument, body.state_under_review))
        if row is not None:
            participants |= {row.same_group_reviewer, row.other_group_reviewer}
    return participants


def _check_requester(
    mode: DrawMode,
    rows: dict[tuple[Instrument, str], LotAssignment],
    target: LotAssignment,
    body: RedrawBody,
) -> None:
    participants = _participants(mode, rows, body)
    if body.requested_by in participants:
        return
    reviewers = ", ".join(sorted(participants - {target.state_under_review}))
    raise Forbidden(
        f"{body.requested_by} may not request a redraw of the review of "
        f"{body.state_under_review}: only the State under review and its "
        f"reviewing States ({reviewers}) may",
        field="requested_by",
    )


def _replaced(target: LotAssignment, body: RedrawBody) -> list[str]:
    """Return the reviewers to replace: as requested, else the requester's part.

    A reviewing State's request replaces that State; the State under
    review's request replaces both reviewers, unless it names one.
    """
    current = [target.same_group_reviewer, target.other_group_reviewer]
    requested_by = body.requested_by
    if requested_by != target.state_under_review and body.reviewers not in (
        None,
        [requested_by],
    ):
        raise Forbidden(
            f"{requested_by} may request only its own replacement, because it is "
            f"not the State under review; leave reviewers out or name {requested_by}",
            field="reviewers",
        )
    if body.reviewers is None:
        if body.requested_by in current:
            return [body.requested_by]
        if body.requested_by != target.state_under_review:
            raise InvalidInput(
                f"{body.requested_by} does not review {target.state_under_review} "
                f"for the {target.instrument} instrument; name the instrument "
                "it reviews",
                field="instrument",
            )
        return current
    invalid = [r for r in body.reviewers if r not in current]
    if invalid or not body.reviewers or len(set(body.reviewers)) < len(body.reviewers):
        raise InvalidInput(
            f"reviewers must be one or both current reviewers of "
            f"{target.state_under_review} for the {target.instrument} instrument "
            f"({', '.join(current)}), without repeats; got {', '.join(body.reviewers)}",
            field="reviewers",
        )
    return [r for r in current if r in body.reviewers]


def _check_allowance(body: RedrawBody, previous: int) -> None:
    if previous < REQUESTS_PER_STATE or body.exceptional_decision is not None:
        return
    raise Conflict(
        f"{body.requested_by} has already requested {previous} redraws of the "
        f"review of {body.state_under_review}, the most a State may request; a "
        "further redraw needs exceptional_decision (decided_by, decided_on, "
        "reason) recording the decision for exceptional circumstances"
    )


def _update(row: LotAssignment, assignment: Assignment) -> None:
    row.same_group_reviewer = assignment.same_group_reviewer
    row.other_group_reviewer = assignment.other_group_reviewer
    row.similar_legal_system = assignment.similar_legal_system
    row.legal_system_note = assignment.legal_system_note
    row.redraw_count += 1


@dataclass(frozen=True)
class RedrawCounts:
    review: int
    by_requester: int


def _record_events(
    session: AsyncSession,
    context: EventContext,
    body: RedrawBody,
    replaced: list[str],
    counts: RedrawCounts,
    changed: list[Assignment],
    replaced_in: dict[tuple[Instrument, str], list[str]],
) -> None:
    subject = f"{body.state_under_review}/{body.instrument.value}"
    requested = RedrawRequested(
        phase_id=context.phase.id,
        instrument=body.instrument,
        state_under_review=body.state_under_review,
        requested_by=body.requested_by,
        reason=body.reason,
        replaced=replaced,
        redraw_number=counts.review,
        requests_by_state=counts.by_requester,
        exceptional_decision=body.exceptional_decision,
        meeting=context.meeting,
    )
    record_event(session, new_event(requested, source=SOURCE, subject=subject))
    for assignment in changed:
        key = (assignment.instrument, assignment.state_under_review)
        payload = LotsRedrawn(
            phase_id=context.phase.id,
            instrument=assignment.instrument,
            state_under_review=assignment.state_under_review,
            regional_group=context.regional_group(assignment.state_under_review),
            clusters=context.clusters(assignment.instrument),
            reviewers=context.reviewers(assignment),
            replaced=replaced_in[key],
            redraw_number=counts.review,
            requested_by=body.requested_by,
            reason=body.reason,
            similar_legal_system=assignment.similar_legal_system,
            legal_system_note=assignment.legal_system_note,
            meeting=context.meeting,
            exceptional_decision=body.exceptional_decision,
        )
        subject = f"{assignment.state_under_review}/{assignment.instrument.value}"
        record_event(session, new_event(payload, source=SOURCE, subject=subject))
