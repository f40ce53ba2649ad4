"""Routes for what accompanies a response: consultation, attachments, exports."""

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse

from palermo_questionnaire import consultation
from palermo_questionnaire.api.access import (
    DraftableKey,
    ReadableKey,
    check_draft_hidden,
    visible_until,
)
from palermo_questionnaire.api.keys import RESPONSE_PATH, Runtime
from palermo_questionnaire.api.schemas import (
    AttachmentPublic,
    ContributionCreate,
    ContributionPublic,
)
from palermo_questionnaire.consultation import Upload
from palermo_questionnaire.domain.forms import Questionnaire
from palermo_questionnaire.domain.labels import Language
from palermo_questionnaire.export_source import load_export
from palermo_questionnaire.exports import ExportedResponse, as_csv, as_html, as_json
from palermo_questionnaire.responses import ResponseKey
from palermo_questionnaire.settings import QuestionnaireSettings
from palermo_shared.auth import AUTHENTICATED, Caller, Principal
from palermo_shared.db import MAX_STORED_INT
from palermo_shared.downloads import attachment_disposition, check_filename
from palermo_shared.service import ServiceRuntime
from palermo_shared.text import SINGLE_LINE

router = APIRouter(dependencies=[AUTHENTICATED])
NO_EXTERNAL_RESOURCES = "default-src 'none'; style-src 'unsafe-inline'"
ExportLanguage = Annotated[
    Language | None,
    Query(
        alias="lang", description="Language of the labels; by default the response's"
    ),
]
Version = Annotated[
    int | None,
    Query(
        ge=1,
        le=MAX_STORED_INT,
        description="Submitted version; by default the current copy",
    ),
]


@router.post(
    f"{RESPONSE_PATH}/contributions",
    response_model=ContributionPublic,
    status_code=201,
)
async def add_contribution(
    key: DraftableKey, body: ContributionCreate, runtime: Runtime
) -> ContributionPublic:
    """Record a stakeholder's contribution from the national consultation."""
    async with runtime.transaction() as session:
        stored = await consultation.add_contribution(session, key, body.model_dump())
    return ContributionPublic.model_validate(stored, from_attributes=True)


@router.get(f"{RESPONSE_PATH}/contributions", response_model=list[ContributionPublic])
async def list_contributions(
    key: ReadableKey, principal: Caller, runtime: Runtime
) -> list[ContributionPublic]:
    async with runtime.session() as session:
        created_until = await visible_until(session, principal, key)
        stored = await consultation.list_contributions(session, key, created_until)
    return [ContributionPublic.model_validate(c, from_attributes=True) for c in stored]


@router.post(
    f"{RESPONSE_PATH}/attachments",
    response_model=AttachmentPublic,
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"format": "binary"}}},
        }
    },
)
async def add_attachment(
    key: DraftableKey,
    request: Request,
    runtime: Runtime,
    filename: Annotated[
        str, Query(description="Name of the file, without a path"), SINGLE_LINE
    ],
    content_type: Annotated[str | None, Header()] = None,
    content_length: Annotated[int | None, Header()] = None,
) -> AttachmentPublic:
    """Upload a document as the raw request body, with its media type."""
    settings: QuestionnaireSettings = request.app.state.settings
    media_type = consultation.check_upload(
        content_type,
        content_length,
        allowed_types=settings.attachment_content_types,
        max_bytes=settings.attachment_max_bytes,
    )
    check_filename(filename)
    content = await _read_body(request, settings.attachment_max_bytes)
    upload = Upload(filename=filename, content_type=media_type, content=content)
    async with runtime.transaction() as session:
        stored = await consultation.add_attachment(session, key, upload)
    return AttachmentPublic.model_validate(stored, from_attributes=True)


async def _read_body(request: Request, max_bytes: int) -> bytes:
    # The declared length may be absent (chunked upload) or false, so the
    # limit is enforced again while reading.
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise consultation.too_large(max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


@router.get(f"{RESPONSE_PATH}/attachments", response_model=list[AttachmentPublic])
async def list_attachments(
    key: ReadableKey, principal: Caller, runtime: Runtime
) -> list[AttachmentPublic]:
    async with runtime.session() as session:
        created_until = await visible_until(session, principal, key)
        stored = await consultation.list_attachments(session, key, created_until)
    return [AttachmentPublic.model_validate(a, from_attributes=True) for a in stored]


@router.get(f"{RESPONSE_PATH}/attachments/{{attachment_id}}")
async def download_attachment(
    key: ReadableKey, attachment_id: str, principal: Caller, runtime: Runtime
) -> Response:
    async with runtime.session() as session:
        created_until = await visible_until(session, principal, key)
        stored = await consultation.get_attachment(
            session, key, attachment_id, created_until
        )
    return Response(
        content=stored.content,
        media_type=stored.content_type,
        headers={
            "Content-Disposition": attachment_disposition(stored.filename),
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get(f"{RESPONSE_PATH}/export.json")
async def export_json(
    key: ReadableKey,
    principal: Caller,
    runtime: Runtime,
    lang: ExportLanguage = None,
    version: Version = None,
) -> JSONResponse:
    questionnaire, exported = await _exported(runtime, principal, key, version, lang)
    return JSONResponse(as_json(questionnaire, exported))


@router.get(f"{RESPONSE_PATH}/export.csv", response_class=PlainTextResponse)
async def export_csv(
    key: ReadableKey,
    principal: Caller,
    runtime: Runtime,
    lang: ExportLanguage = None,
    version: Version = None,
) -> PlainTextResponse:
    questionnaire, exported = await _exported(runtime, principal, key, version, lang)
    filename = f"{key.state}-{key.instrument.value}-{key.cluster.value}.csv"
    return PlainTextResponse(
        as_csv(questionnaire, exported),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(f"{RESPONSE_PATH}/export.html", response_class=HTMLResponse)
async def export_html(
    key: ReadableKey,
    principal: Caller,
    runtime: Runtime,
    lang: ExportLanguage = None,
    version: Version = None,
) -> HTMLResponse:
    """Return a printable document, self-contained, in `lang` or the response's
    language."""
    questionnaire, exported = await _exported(runtime, principal, key, version, lang)
    return HTMLResponse(
        as_html(questionnaire, exported),
        headers={"Content-Security-Policy": NO_EXTERNAL_RESOURCES},
    )


async def _exported(
    runtime: ServiceRuntime,
    principal: Principal,
    key: ResponseKey,
    version: int | None,
    language: Language | None,
) -> tuple[Questionnaire, ExportedResponse]:
    async with runtime.session() as session:
        created_until = await visible_until(session, principal, key)
        questionnaire, exported = await load_export(
            session,
            key,
            version=version,
            language=language,
            created_until=created_until,
        )
    check_draft_hidden(principal, key, exported.status)
    return questionnaire, exported
