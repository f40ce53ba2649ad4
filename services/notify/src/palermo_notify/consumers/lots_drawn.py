"""`LotsDrawn`: keep the reviewers, then notify the State and its reviewers."""

from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_notify.domain.rules import recipients_of
from palermo_notify.notifications import notify_states
from palermo_notify.reviewers import record_reviewers
from palermo_shared.contracts import LotsDrawn
from palermo_shared.events import Envelope, EventPayload


async def handle(
    session: AsyncSession, envelope: Envelope, payload: EventPayload
) -> None:
    assert isinstance(payload, LotsDrawn)
    await record_reviewers(session, payload)
    await notify_states(session, envelope, recipients_of(envelope.type, payload))
