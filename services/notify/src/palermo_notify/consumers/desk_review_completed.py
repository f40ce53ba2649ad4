"""`DeskReviewCompleted`: notify the State under review and its reviewers."""

from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_notify.domain.rules import recipients_of
from palermo_notify.notifications import notify_states
from palermo_shared.contracts import DeskReviewCompleted
from palermo_shared.events import Envelope, EventPayload


async def handle(
    session: AsyncSession, envelope: Envelope, payload: EventPayload
) -> None:
    assert isinstance(payload, DeskReviewCompleted)
    await notify_states(session, envelope, recipients_of(envelope.type, payload))
