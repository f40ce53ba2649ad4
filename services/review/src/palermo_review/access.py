"""Who may do what on a desk review, kept as data.

A caller's seat on a review comes from the verified token and the review's
records: the Secretariat has a seat on every review; a focal point token of
a State in the review is that State's focal point only if its subject is
the one recorded for the review; an expert token has a seat only if its
subject was appointed to the review for its State. Anyone else is refused
with one message that says nothing about the review.
"""

from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_review.reviews import get_review, states_of
from palermo_review.tables import (
    DeskReview,
    Expert,
    PhaseFocalPoint,
    ReviewFocalPoint,
)
from palermo_shared.auth import Principal, Role
from palermo_shared.errors import Forbidden, NotFound

NO_ACCESS = "you have no access to this desk review, or it does not exist"


class Seat(StrEnum):
    SECRETARIAT = "secretariat"
    FOCAL_POINT_UNDER_REVIEW = "focal_point_of_the_state_under_review"
    EXPERT_UNDER_REVIEW = "expert_of_the_state_under_review"
    REVIEWING_FOCAL_POINT = "focal_point_of_a_reviewing_state"
    REVIEWING_EXPERT = "expert_of_a_reviewing_state"

    @property
    def label(self) -> str:
        """Return the seat's name for messages, such as "the Secretariat"."""
        return _SEAT_LABELS[self]


_SEAT_LABELS = {
    Seat.SECRETARIAT: "the Secretariat",
    Seat.FOCAL_POINT_UNDER_REVIEW: "the focal point of the State under review",
    Seat.EXPERT_UNDER_REVIEW: "an expert of the State under review",
    Seat.REVIEWING_FOCAL_POINT: "the focal point of a reviewing State",
    Seat.REVIEWING_EXPERT: "an expert of a reviewing State",
}


class Action(StrEnum):
    READ = "read the review"
    NAME_FOCAL_POINT = "name a focal point"
    APPOINT_EXPERT = "appoint experts"
    RECORD_OBSERVATION = "record observations"
    REQUEST_INFORMATION = "request information"
    ANSWER_REQUEST = "answer requests"
    WRITE_MESSAGE = "write clarification messages"
    RECORD_MEETING = "record virtual meetings"
    AGREE = "agree to the final observations"
    CLEAR_AGREEMENT = "clear an agreement"
    REOPEN = "reopen the observations"
    COMMENT = "comment on the final observations"
    CLEAR_COMMENT = "clear or waive the comments"
    EDIT_SUMMARY = "write the summary"
    CORRECT_SUMMARY = "correct the summary of a completed review"
    COMPLETE = "complete the review"
    DECIDE_PUBLICATION = "decide what is published"
    TRANSLATE = "translate the summary"
    EXTEND_DEADLINE = "extend a deadline"


ALL_SEATS = frozenset(Seat)
_S = Seat
PERMISSIONS: dict[Action, frozenset[Seat]] = {
    Action.READ: ALL_SEATS,
    Action.NAME_FOCAL_POINT: frozenset({_S.SECRETARIAT}),
    Action.APPOINT_EXPERT: frozenset(
        {_S.FOCAL_POINT_UNDER_REVIEW, _S.REVIEWING_FOCAL_POINT}
    ),
    Action.RECORD_OBSERVATION: frozenset({_S.REVIEWING_EXPERT}),
    Action.REQUEST_INFORMATION: frozenset({_S.REVIEWING_EXPERT}),
    Action.ANSWER_REQUEST: frozenset(
        {_S.EXPERT_UNDER_REVIEW, _S.FOCAL_POINT_UNDER_REVIEW}
    ),
    Action.WRITE_MESSAGE: ALL_SEATS,
    Action.RECORD_MEETING: ALL_SEATS,
    Action.AGREE: frozenset({_S.REVIEWING_EXPERT, _S.REVIEWING_FOCAL_POINT}),
    Action.CLEAR_AGREEMENT: frozenset({_S.REVIEWING_FOCAL_POINT}),
    Action.REOPEN: frozenset(
        {_S.REVIEWING_EXPERT, _S.REVIEWING_FOCAL_POINT, _S.SECRETARIAT}
    ),
    Action.COMMENT: frozenset({_S.EXPERT_UNDER_REVIEW, _S.FOCAL_POINT_UNDER_REVIEW}),
    Action.CLEAR_COMMENT: frozenset({_S.FOCAL_POINT_UNDER_REVIEW}),
    Action.EDIT_SUMMARY: frozenset({_S.REVIEWING_EXPERT, _S.SECRETARIAT}),
    # The outcome went to the working group at completion, so the reviewing
    # States' work on the summary ends there.
    Action.CORRECT_SUMMARY: frozenset({_S.SECRETARIAT}),
    Action.COMPLETE: frozenset({_S.REVIEWING_EXPERT, _S.SECRETARIAT}),
    Action.DECIDE_PUBLICATION: frozenset({_S.FOCAL_POINT_UNDER_REVIEW}),
    Action.TRANSLATE: frozenset({_S.SECRETARIAT}),
    Action.EXTEND_DEADLINE: frozenset({_S.SECRETARIAT}),
}


@dataclass(frozen=True)
class Participant:
    """A verified caller and the seat it holds on one review."""

    principal: Principal
    seat: Seat
    state: str | None

    @property
    def subject(self) -> str:
        return self.principal.subject

    @property
    def is_focal_point(self) -> bool:
        return self.seat in (_S.FOCAL_POINT_UNDER_REVIEW, _S.REVIEWING_FOCAL_POINT)


async def focal_point_subject(
    session: AsyncSession, review: DeskReview, state: str
) -> str | None:
    """Return the subject of `state`'s focal point on `review`, if one is named."""
    own = await session.get(ReviewFocalPoint, (review.id, state))
    if own is not None:
        return own.subject
    default = await session.get(PhaseFocalPoint, (review.phase_id, state))
    return default.subject if default is not None else None


async def _is_expert(
    session: AsyncSession, review: DeskReview, principal: Principal
) -> bool:
    query = select(Expert.id).where(
        Expert.review_id == review.id,
        Expert.subject == principal.subject,
        Expert.state == principal.state,
    )
    return (await session.exec(query)).first() is not None


async def seat_of(
    session: AsyncSession, review: DeskReview, principal: Principal
) -> Participant:
    """Return the caller's seat on `review`, or raise `Forbidden`."""
    if principal.is_secretariat:
        return Participant(principal, Seat.SECRETARIAT, None)
    state = principal.state
    if state is None or state not in states_of(review):
        raise Forbidden(NO_ACCESS)

    under_review = state == review.state_under_review
    if principal.role is Role.FOCAL_POINT:
        if await focal_point_subject(session, review, state) == principal.subject:
            seat = (
                _S.FOCAL_POINT_UNDER_REVIEW
                if under_review
                else _S.REVIEWING_FOCAL_POINT
            )
            return Participant(principal, seat, state)
    elif await _is_expert(session, review, principal):
        seat = _S.EXPERT_UNDER_REVIEW if under_review else _S.REVIEWING_EXPERT
        return Participant(principal, seat, state)
    raise Forbidden(
        f"{principal.subject} is neither the focal point of {state} on this "
        "review nor an expert appointed to it; ask the Secretariat or your "
        "focal point"
    )


def require(participant: Participant, action: Action) -> None:
    """Raise `Forbidden` unless the participant's seat allows `action`."""
    if participant.seat not in PERMISSIONS[action]:
        allowed = [seat.label for seat in Seat if seat in PERMISSIONS[action]]
        raise Forbidden(f"only {_either(allowed)} may {action.value}")


def _either(labels: list[str]) -> str:
    """Join labels as in "A, B or C"."""
    if len(labels) == 1:
        return labels[0]
    return f"{', '.join(labels[:-1])} or {labels[-1]}"


async def review_for(
    session: AsyncSession,
    rid: str,
    principal: Principal,
    *,
    for_update: bool = False,
) -> DeskReview:
    """Return the review `rid` for `principal`, as `get_review` does.

    Review ids derive from the phase, State, instrument and cluster, so
    anyone can compute them. A caller other than the Secretariat therefore
    gets the same 403 for a review that does not exist as for a review it
    has no seat on. A 404 would reveal to a State outside the review whether
    the review exists, and so whether a State submitted its questionnaire
    before the draw.
    """
    try:
        return await get_review(session, rid, for_update=for_update)
    except NotFound:
        if principal.is_secretariat:
            raise
        raise Forbidden(NO_ACCESS) from None


async def authorize(
    session: AsyncSession, review: DeskReview, principal: Principal, action: Action
) -> Participant:
    """Return the caller's seat on `review` if it allows `action`."""
    participant = await seat_of(session, review, principal)
    require(participant, action)
    return participant
