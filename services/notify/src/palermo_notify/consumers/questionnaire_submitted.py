"""`QuestionnaireSubmitted`: notify the State and, once drawn, its reviewers."""

from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_notify.domain.rules import recipients_of
from palermo_notify.notifications import notify_states
from palermo_notify.reviewers import drawn_reviewers
from palermo_shared.contracts import QuestionnaireSubmitted
from palermo_shared.events import Envelope, EventPayload


async def handle(
    session: AsyncSession, envelope: Envelope, payload: EventPayload
) -> None:
    assert isinstance(payload, QuestionnaireSubmitted)
    reviewers = await drawn_reviewers(
        session,
        phase_id=payload.phase_id,
        instrument=payload.instrument.value,
        state_under_review=payload.state,
    )
    recipients = recipients_of(envelope.type, payload, reviewers)
    await notify_states(session, envelope, recipients)
