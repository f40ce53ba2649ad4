"""Audit log entries for state-changing requests and for events on the bus."""

from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_gateway.audit.chain import append_entry
from palermo_gateway.audit.tables import PATH_MAX_LENGTH, AuditEntry
from palermo_shared.auth import Principal
from palermo_shared.clock import utcnow
from palermo_shared.events import EVENT_TYPES, Envelope, EventPayload
from palermo_shared.service import ConsumerSpec


def request_entry(
    *,
    principal: Principal | None,
    method: str,
    path: str,
    request_id: str | None,
    status_code: int,
) -> AuditEntry:
    """Build the entry of one request, naming the caller only if its token verified."""
    # append_entry sets the chain's fields.
    return AuditEntry(  # type: ignore[call-arg]
        kind="request",
        recorded_at=utcnow(),
        subject=principal.subject if principal else None,
        role=principal.role.value if principal else None,
        state=principal.state if principal else None,
        method=method,
        path=_truncated_path(path),
        request_id=request_id,
        status_code=status_code,
    )


def _truncated_path(path: str) -> str:
    """Return `path`, truncated with its full length noted when it is too long.

    Any client can send a long path, unauthenticated ones included.
    """
    if len(path) <= PATH_MAX_LENGTH:
        return path
    marker = f"...[{len(path)} characters]"
    return path[: PATH_MAX_LENGTH - len(marker)] + marker


async def record_event(
    session: AsyncSession, envelope: Envelope, _payload: EventPayload
) -> None:
    """Append an event's envelope attributes; its data stays out of the log."""
    entry = AuditEntry(  # type: ignore[call-arg]
        kind="event",
        recorded_at=utcnow(),
        event_type=envelope.type,
        event_id=envelope.id,
        event_subject=envelope.subject,
        event_time=envelope.time,
    )
    await append_entry(session, entry)


def audit_consumer_spec() -> ConsumerSpec:
    """Consume every registered event type of every domain topic into the log.

    Messages of an unregistered type are skipped by the consumer, so they
    are not in the log.
    """
    handlers = {event_type: record_event for event_type, _version in EVENT_TYPES}
    return ConsumerSpec(handlers=handlers)
