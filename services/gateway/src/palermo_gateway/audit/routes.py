"""`GET /api/v1/audit`: the Secretariat reads the audit log, a page at a time."""

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from sqlmodel import col, select

from palermo_gateway.audit.schemas import AuditEntryOut, AuditPage
from palermo_gateway.audit.tables import AuditEntry
from palermo_shared.auth import Caller
from palermo_shared.dates import IsoDatetime
from palermo_shared.db import MAX_STORED_INT
from palermo_shared.errors import Forbidden, InvalidInput
from palermo_shared.service import ServiceRuntime
from palermo_shared.text import SingleLineText

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

MAX_PAGE_SIZE = 1000


@router.get("")
async def list_audit_entries(
    request: Request,
    caller: Caller,
    subject: SingleLineText | None = None,
    kind: Literal["request", "event"] | None = None,
    since: IsoDatetime | None = None,
    until: IsoDatetime | None = None,
    after: Annotated[
        int, Query(ge=0, le=MAX_STORED_INT, description="last sequence already read")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
) -> AuditPage:
    """Return entries in sequence order, filtered by caller subject, kind and time.

    `since` is inclusive and `until` exclusive, both on the time recorded.
    """
    if not caller.is_secretariat:
        raise Forbidden("only the Secretariat may read the audit log")
    _check_aware(since, "since")
    _check_aware(until, "until")

    query = select(AuditEntry).where(col(AuditEntry.sequence) > after)
    if subject is not None:
        query = query.where(col(AuditEntry.subject) == subject)
    if kind is not None:
        query = query.where(col(AuditEntry.kind) == kind)
    if since is not None:
        query = query.where(col(AuditEntry.recorded_at) >= since)
    if until is not None:
        query = query.where(col(AuditEntry.recorded_at) < until)
    query = query.order_by(col(AuditEntry.sequence)).limit(limit)

    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.session() as session:
        entries = list((await session.exec(query)).all())
    next_after = entries[-1].sequence if len(entries) == limit else None
    return AuditPage(
        entries=[
            AuditEntryOut.model_validate(e, from_attributes=True) for e in entries
        ],
        next_after=next_after,
    )


def _check_aware(value: dt.datetime | None, field: str) -> None:
    if value is None:
        return
    if value.tzinfo is None:
        raise InvalidInput(
            f"{field} {value.isoformat()} has no time zone; "
            "give one, e.g. 2026-01-31T00:00:00Z",
            field=field,
        )
    # Times are stored in UTC, and a time near year 1 or 9999 may have no
    # UTC equivalent.
    try:
        value.astimezone(dt.UTC)
    except OverflowError:
        raise InvalidInput(
            f"{field} {value.isoformat()} is outside the years 1 to 9999 in UTC",
            field=field,
        ) from None
