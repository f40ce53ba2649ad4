from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_review.clock import Clock
from palermo_review.opening import receive_redraw
from palermo_shared.contracts import LotsRedrawn
from palermo_shared.events import Envelope, EventPayload


async def handle(
    session: AsyncSession, envelope: Envelope, payload: EventPayload, *, clock: Clock
) -> None:
    assert isinstance(payload, LotsRedrawn)
    await receive_redraw(session, envelope, payload, clock)
