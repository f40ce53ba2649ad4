"""National consultation and supporting documents of a response.

The readers take `created_until`: when given, they return only the
contributions and attachments created at or before that time.
"""

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import defer
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from palermo_questionnaire.responses import (
    ResponseKey,
    applicable_questionnaire,
    require_response,
)
from palermo_questionnaire.tables import Attachment, Contribution
from palermo_shared.errors import (
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from palermo_shared.ids import new_id

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    content: bytes


async def add_contribution(
    session: AsyncSession, key: ResponseKey, fields: dict[str, Any]
) -> Contribution:
    """Attach a stakeholder's contribution to the response."""
    questionnaire = await applicable_questionnaire(session, key)
    response = await require_response(session, key)
    unknown = sorted(set(fields["articles"]) - set(questionnaire.articles))
    if unknown:
        raise InvalidInput(
            f"articles {unknown} are not asked in {questionnaire.id}; "
            f"asked articles: {questionnaire.articles}",
            field="articles",
        )

    contribution = Contribution(id=new_id(), response_id=response.id, **fields)
    session.add(contribution)
    logger.info(
        "response %s: contribution %s (%s) added",
        response.id,
        contribution.id,
        contribution.category,
    )
    return contribution


async def list_contributions(
    session: AsyncSession, key: ResponseKey, created_until: dt.datetime | None
) -> list[Contribution]:
    response = await require_response(session, key)
    return await contributions_of(session, response.id, created_until)


async def contributions_of(
    session: AsyncSession, response_id: str, created_until: dt.datetime | None
) -> list[Contribution]:
    query = (
        select(Contribution)
        .where(Contribution.response_id == response_id)
        .order_by(col(Contribution.created_at), col(Contribution.id))
    )
    if created_until is not None:
        query = query.where(col(Contribution.created_at) <= created_until)
    return list((await session.exec(query)).all())


def check_upload(
    upload_type: str | None,
    declared_size: int | None,
    *,
    allowed_types: frozenset[str],
    max_bytes: int,
) -> str:
    """Check an upload's media type and declared size before reading its body."""
    content_type = (upload_type or "").split(";")[0].strip().lower()
    if content_type not in allowed_types:
        raise UnsupportedMediaType(
            f"attachments of type {content_type or 'unknown'} are not accepted; "
            f"accepted types: {', '.join(sorted(allowed_types))}",
            field="Content-Type",
        )
    if declared_size is not None and declared_size > max_bytes:
        raise too_large(max_bytes)
    return content_type


def too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"attachment larger than the limit of {max_bytes} bytes", field="body"
    )


async def add_attachment(
    session: AsyncSession, key: ResponseKey, upload: Upload
) -> Attachment:
    """Store a document for the response; attachment answers cite it by id."""
    await applicable_questionnaire(session, key)
    if not upload.content:
        raise InvalidInput("attachment is empty", field="body")

    attachment = Attachment(
        id=new_id(),
        phase_id=key.phase_id,
        state=key.state,
        instrument=key.instrument.value,
        cluster=key.cluster.value,
        filename=upload.filename,
        content_type=upload.content_type,
        size=len(upload.content),
        sha256=hashlib.sha256(upload.content).hexdigest(),
        content=upload.content,
    )
    session.add(attachment)
    logger.info(
        "%s: attachment %s (%d bytes) stored",
        key.describe(),
        attachment.id,
        attachment.size,
    )
    return attachment


async def list_attachments(
    session: AsyncSession, key: ResponseKey, created_until: dt.datetime | None
) -> list[Attachment]:
    await applicable_questionnaire(session, key)
    query = (
        _attachments_of(key, created_until)
        .order_by(col(Attachment.created_at), col(Attachment.id))
        .options(defer(Attachment.content))  # type: ignore[arg-type]
    )
    return list((await session.exec(query)).all())


async def get_attachment(
    session: AsyncSession,
    key: ResponseKey,
    attachment_id: str,
    created_until: dt.datetime | None,
) -> Attachment:
    query = _attachments_of(key, created_until).where(Attachment.id == attachment_id)
    attachment = (await session.exec(query)).first()
    if attachment is None:
        raise NotFound(f"attachment {attachment_id} of {key.describe()} not found")
    return attachment


def _attachments_of(
    key: ResponseKey, created_until: dt.datetime | None
) -> SelectOfScalar[Attachment]:
    query = select(Attachment).where(
        Attachment.phase_id == key.phase_id,
        Attachment.state == key.state,
        Attachment.instrument == key.instrument.value,
        Attachment.cluster == key.cluster.value,
    )
    if created_until is not None:
        query = query.where(col(Attachment.created_at) <= created_until)
    return query
