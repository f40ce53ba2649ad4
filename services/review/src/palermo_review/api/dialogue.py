"""Routes of the dialogue: requests, answers, clarifications, files, meetings."""

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status

from palermo_review import dialogue
from palermo_review.access import Action, authorize, review_for
from palermo_review.api.deps import Now, Runtime, Settings
from palermo_review.api.schemas import (
    AttachmentPublic,
    InformationRequestCreate,
    InformationRequestPublic,
    MeetingCreate,
    MeetingPublic,
    MessageCreate,
    MessagePublic,
)
from palermo_shared.auth import Caller
from palermo_shared.downloads import attachment_disposition, check_filename
from palermo_shared.errors import PayloadTooLarge
from palermo_shared.text import SINGLE_LINE

router = APIRouter(prefix="/reviews/{review_id}", tags=["dialogue"])


@router.post(
    "/requests",
    response_model=InformationRequestPublic,
    status_code=status.HTTP_201_CREATED,
)
async def request_information(
    review_id: str,
    body: InformationRequestCreate,
    runtime: Runtime,
    caller: Caller,
    now: Now,
) -> InformationRequestPublic:
    """Ask the State under review for supplementary information or clarification."""
    async with runtime.transaction() as session:
        request = await dialogue.request_information(
            session,
            caller,
            review_id,
            kind=body.kind,
            text=body.text,
            due_date=body.due_date,
            now=now,
        )
    return InformationRequestPublic.model_validate(request, from_attributes=True)


@router.get("/requests", response_model=list[InformationRequestPublic])
async def list_requests(
    review_id: str, runtime: Runtime, caller: Caller
) -> list[InformationRequestPublic]:
    async with runtime.session() as session:
        review = await review_for(session, review_id, caller)
        await authorize(session, review, caller, Action.READ)
        threads = await dialogue.list_requests(session, review_id)
    return [
        InformationRequestPublic(
            **request.model_dump(),
            messages=[
                MessagePublic(
                    **message.model_dump(),
                    attachments=[
                        AttachmentPublic.model_validate(a, from_attributes=True)
                        for a in attachments
                    ],
                )
                for message, attachments in messages
            ],
        )
        for request, messages in threads
    ]


@router.post(
    "/requests/{request_id}/messages",
    response_model=MessagePublic,
    status_code=status.HTTP_201_CREATED,
)
async def add_message(
    review_id: str,
    request_id: str,
    body: MessageCreate,
    runtime: Runtime,
    caller: Caller,
    now: Now,
) -> MessagePublic:
    """Answer a request (the State under review) or add a clarification message."""
    async with runtime.transaction() as session:
        message = await dialogue.add_message(
            session,
            caller,
            review_id,
            request_id,
            kind=body.kind,
            text=body.text,
            now=now,
        )
    return MessagePublic.model_validate(message, from_attributes=True)


@router.post(
    "/requests/{request_id}/messages/{message_id}/attachments",
    response_model=AttachmentPublic,
    status_code=status.HTTP_201_CREATED,
)
async def attach(
    review_id: str,
    request_id: str,
    message_id: str,
    request: Request,
    runtime: Runtime,
    caller: Caller,
    settings: Settings,
    now: Now,
    filename: Annotated[str, Query(min_length=1, max_length=255), SINGLE_LINE],
    content_type: Annotated[str, Header()] = "application/octet-stream",
) -> AttachmentPublic:
    """Attach a file (the request body, typed by Content-Type) to an answer."""
    check_filename(filename)
    content = await _read_limited(request, settings.attachment_max_bytes)
    async with runtime.transaction() as session:
        attachment = await dialogue.attach(
            session,
            caller,
            review_id,
            request_id,
            message_id,
            filename=filename,
            content_type=content_type,
            content=content,
            limits=(settings.attachment_max_bytes, settings.attachment_content_types),
            now=now,
        )
    return AttachmentPublic.model_validate(attachment, from_attributes=True)


async def _read_limited(request: Request, max_bytes: int) -> bytes:
    """Read the body, stopping as soon as it exceeds `max_bytes`."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(
                f"the file has more than the {max_bytes} bytes allowed", field="body"
            )
        chunks.append(chunk)
    return b"".join(chunks)


@router.get("/requests/{request_id}/messages/{message_id}/attachments/{attachment_id}")
async def download(
    review_id: str,
    request_id: str,
    message_id: str,
    attachment_id: str,
    runtime: Runtime,
    caller: Caller,
) -> Response:
    async with runtime.session() as session:
        attachment = await dialogue.get_attachment(
            session, caller, review_id, request_id, message_id, attachment_id
        )
    return Response(
        attachment.content,
        media_type=attachment.content_type,
        headers={"Content-Disposition": attachment_disposition(attachment.filename)},
    )


@router.post(
    "/meetings", response_model=MeetingPublic, status_code=status.HTTP_201_CREATED
)
async def record_meeting(
    review_id: str, body: MeetingCreate, runtime: Runtime, caller: Caller, now: Now
) -> MeetingPublic:
    """Record a virtual meeting held for the review: date, participants, minutes."""
    async with runtime.transaction() as session:
        meeting = await dialogue.record_meeting(
            session,
            caller,
            review_id,
            date=body.date,
            participants=body.participants,
            minutes=body.minutes,
            now=now,
        )
    return MeetingPublic.model_validate(meeting, from_attributes=True)


@router.get("/meetings", response_model=list[MeetingPublic])
async def list_meetings(
    review_id: str, runtime: Runtime, caller: Caller
) -> list[MeetingPublic]:
    async with runtime.session() as session:
        review = await review_for(session, review_id, caller)
        await authorize(session, review, caller, Action.READ)
        meetings = await dialogue.list_meetings(session, review_id)
    return [MeetingPublic.model_validate(m, from_attributes=True) for m in meetings]
