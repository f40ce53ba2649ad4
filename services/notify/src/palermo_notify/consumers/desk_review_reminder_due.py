"""`DeskReviewReminderDue`: notify the States that still have to act on the stage."""

from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_notify.domain.rules import plan_recipients
from palermo_notify.notifications import notify_recipients
from palermo_notify.settings import NotifySettings
from palermo_shared.contracts import DeskReviewReminderDue
from palermo_shared.events import Envelope, EventPayload


async def handle(
    session: AsyncSession,
    envelope: Envelope,
    payload: EventPayload,
    *,
    settings: NotifySettings,
) -> None:
    assert isinstance(payload, DeskReviewReminderDue)
    recipients = plan_recipients(envelope.type, payload)
    await notify_recipients(session, envelope, payload, recipients, settings)
