"""`LotsDrawn`: keep the reviewers, then notify the State and its reviewers."""

from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_notify.domain.rules import plan_recipients
from palermo_notify.notifications import notify_recipients
from palermo_notify.settings import NotifySettings
from palermo_shared.assignments import record_lots
from palermo_shared.contracts import LotsDrawn
from palermo_shared.events import Envelope, EventPayload


async def handle(
    session: AsyncSession,
    envelope: Envelope,
    payload: EventPayload,
    *,
    settings: NotifySettings,
) -> None:
    assert isinstance(payload, LotsDrawn)
    await record_lots(session, payload)
    recipients = plan_recipients(envelope.type, payload)
    await notify_recipients(session, envelope, payload, recipients, settings)
