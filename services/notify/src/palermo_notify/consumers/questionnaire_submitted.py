"""`QuestionnaireSubmitted`: notify the State and, once drawn, its reviewers."""

from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_notify.domain.rules import plan_recipients
from palermo_notify.notifications import notify_recipients
from palermo_notify.settings import NotifySettings
from palermo_shared.assignments import reviewers_of
from palermo_shared.contracts import QuestionnaireSubmitted
from palermo_shared.events import Envelope, EventPayload


async def handle(
    session: AsyncSession,
    envelope: Envelope,
    payload: EventPayload,
    *,
    settings: NotifySettings,
) -> None:
    assert isinstance(payload, QuestionnaireSubmitted)
    drawn = await reviewers_of(
        session, payload.phase_id, payload.instrument.value, payload.state
    )
    recipients = plan_recipients(envelope.type, payload, drawn)
    await notify_recipients(session, envelope, payload, recipients, settings)
