"""Desk review events: notify the parties that the event's rule names.

`DeskReviewStarted`, `DeskReviewCompleted`, `DeskReviewReviewersChanged`,
`DeskReviewReminderDue` and `DeskReviewOverdue` carry the States they
concern, so the rule of each (`palermo_notify.domain.rules`) alone decides
who is notified.
"""

from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_notify.domain.rules import plan_recipients
from palermo_notify.notifications import notify_recipients
from palermo_notify.settings import NotifySettings
from palermo_shared.events import Envelope, EventPayload


async def handle(
    session: AsyncSession,
    envelope: Envelope,
    payload: EventPayload,
    *,
    settings: NotifySettings,
) -> None:
    recipients = plan_recipients(envelope.type, payload)
    await notify_recipients(session, envelope, payload, recipients, settings)
