"""The dialogue of a desk review: requests, answers, clarifications, meetings."""

import datetime as dt
import logging

from sqlalchemy.orm import defer
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_review.access import Action, authorize, review_for
from palermo_review.domain.workflow import Step
from palermo_review.reviews import check_step
from palermo_review.tables import (
    Attachment,
    DeskReview,
    InformationRequest,
    RequestMessage,
    VirtualMeeting,
)
from palermo_shared.auth import Principal
from palermo_shared.errors import (
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from palermo_shared.ids import new_id

logger = logging.getLogger(__name__)

ANSWER = "answer"
CLARIFICATION = "clarification"


async def request_information(
    session: AsyncSession,
    principal: Principal,
    rid: str,
    *,
    kind: str,
    text: str,
    due_date: dt.date,
    now: dt.datetime,
) -> InformationRequest:
    """Record a reviewing State's request to the State under review."""
    review = await review_for(session, rid, principal, for_update=True)
    participant = await authorize(
        session, review, principal, Action.REQUEST_INFORMATION
    )
    check_step(review, Step.HOLD_DIALOGUE, action="request information in")
    if due_date <= now.date():
        raise InvalidInput(
            f"due date {due_date} is not after today ({now.date()})", field="due_date"
        )
    assert participant.state is not None
    request = InformationRequest(
        id=new_id(),
        review_id=rid,
        kind=kind,
        from_state=participant.state,
        text=text,
        due_date=due_date,
        requested_by=principal.subject,
        requested_at=now,
    )
    session.add(request)
    return request


async def _request_of(
    session: AsyncSession, review: DeskReview, request_id: str
) -> InformationRequest:
    request = await session.get(InformationRequest, request_id)
    if request is None or request.review_id != review.id:
        raise NotFound(f"request {request_id} not found on desk review {review.id}")
    return request


async def add_message(
    session: AsyncSession,
    principal: Principal,
    rid: str,
    request_id: str,
    *,
    kind: str,
    text: str,
    now: dt.datetime,
) -> RequestMessage:
    """Add an answer (the State under review) or a clarification (anyone seated)."""
    review = await review_for(session, rid, principal, for_update=True)
    if kind == ANSWER:
        action, attempted = Action.ANSWER_REQUEST, "answer a request in"
    else:
        action, attempted = Action.WRITE_MESSAGE, "write a clarification in"
    participant = await authorize(session, review, principal, action)
    check_step(review, Step.HOLD_DIALOGUE, action=attempted)
    await _request_of(session, review, request_id)
    message = RequestMessage(
        id=new_id(),
        request_id=request_id,
        kind=kind,
        state=participant.state,
        text=text,
        written_by=principal.subject,
        written_at=now,
    )
    session.add(message)
    return message


async def attach(
    session: AsyncSession,
    principal: Principal,
    rid: str,
    request_id: str,
    message_id: str,
    *,
    filename: str,
    content_type: str,
    content: bytes,
    limits: tuple[int, tuple[str, ...]],
    now: dt.datetime,
) -> Attachment:
    """Attach a file to an answer, within the size and content-type limits."""
    max_bytes, content_types = limits

    review = await review_for(session, rid, principal, for_update=True)
    await authorize(session, review, principal, Action.ANSWER_REQUEST)
    check_step(review, Step.HOLD_DIALOGUE, action="attach a file in")
    message = await _message_of(session, review, request_id, message_id)
    if message.kind != ANSWER:
        raise InvalidInput(
            f"message {message_id} is a {message.kind}; files are accepted on "
            "answers only",
            field="message_id",
        )
    media_type = content_type.split(";")[0].strip().lower()
    if media_type not in content_types:
        raise UnsupportedMediaType(
            f"content type {media_type!r} is not accepted; send one of "
            f"{', '.join(content_types)}",
            field="content-type",
        )
    if len(content) > max_bytes:
        raise PayloadTooLarge(
            f"the file has {len(content)} bytes, more than the {max_bytes} allowed",
            field="body",
        )
    if not content:
        raise InvalidInput("the file is empty", field="body")

    attachment = Attachment(
        id=new_id(),
        message_id=message_id,
        filename=filename,
        content_type=media_type,
        size=len(content),
        content=content,
        uploaded_by=principal.subject,
        uploaded_at=now,
    )
    session.add(attachment)
    return attachment


async def _message_of(
    session: AsyncSession, review: DeskReview, request_id: str, message_id: str
) -> RequestMessage:
    await _request_of(session, review, request_id)
    message = await session.get(RequestMessage, message_id)
    if message is None or message.request_id != request_id:
        raise NotFound(f"message {message_id} not found under request {request_id}")
    return message


async def get_attachment(
    session: AsyncSession,
    principal: Principal,
    rid: str,
    request_id: str,
    message_id: str,
    attachment_id: str,
) -> Attachment:
    review = await review_for(session, rid, principal)
    await authorize(session, review, principal, Action.READ)
    await _message_of(session, review, request_id, message_id)
    attachment = await session.get(Attachment, attachment_id)
    if attachment is None or attachment.message_id != message_id:
        raise NotFound(f"attachment {attachment_id} not found")
    return attachment


async def list_requests(
    session: AsyncSession, rid: str
) -> list[tuple[InformationRequest, list[tuple[RequestMessage, list[Attachment]]]]]:
    """Return the requests of a review with their messages and attachments."""
    requests = (
        await session.exec(
            select(InformationRequest)
            .where(InformationRequest.review_id == rid)
            .order_by(col(InformationRequest.requested_at))
        )
    ).all()
    threads = []
    for request in requests:
        messages = (
            await session.exec(
                select(RequestMessage)
                .where(RequestMessage.request_id == request.id)
                .order_by(col(RequestMessage.written_at))
            )
        ).all()
        threads.append(
            (request, [(m, await _attachments(session, m.id)) for m in messages])
        )
    return threads


async def _attachments(session: AsyncSession, message_id: str) -> list[Attachment]:
    # The bytes stay in the database until someone downloads the file.
    query = (
        select(Attachment)
        .where(Attachment.message_id == message_id)
        .options(defer(Attachment.content))  # type: ignore[arg-type]
    )
    return list((await session.exec(query)).all())


async def record_meeting(
    session: AsyncSession,
    principal: Principal,
    rid: str,
    *,
    date: dt.date,
    participants: list[str],
    minutes: str,
    now: dt.datetime,
) -> VirtualMeeting:
    review = await review_for(session, rid, principal, for_update=True)
    await authorize(session, review, principal, Action.RECORD_MEETING)
    check_step(review, Step.HOLD_DIALOGUE, action="record a meeting of")
    if date > now.date():
        raise InvalidInput(
            f"meeting date {date} is in the future; record meetings once held",
            field="date",
        )
    meeting = VirtualMeeting(
        id=new_id(),
        review_id=rid,
        date=date,
        participants=participants,
        minutes=minutes,
        recorded_by=principal.subject,
        recorded_at=now,
    )
    session.add(meeting)
    return meeting


async def list_meetings(session: AsyncSession, rid: str) -> list[VirtualMeeting]:
    query = select(VirtualMeeting).where(VirtualMeeting.review_id == rid)
    return list((await session.exec(query.order_by(col(VirtualMeeting.date)))).all())
