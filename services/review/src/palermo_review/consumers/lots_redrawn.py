from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_review.reviews import receive_redraw
from palermo_shared.contracts import LotsRedrawn
from palermo_shared.events import Envelope, EventPayload


async def handle(
    session: AsyncSession, envelope: Envelope, payload: EventPayload
) -> None:
    assert isinstance(payload, LotsRedrawn)
    await receive_redraw(session, envelope, payload)
