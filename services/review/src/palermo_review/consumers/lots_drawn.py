from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_review.reviews import receive_lots
from palermo_shared.contracts import LotsDrawn
from palermo_shared.events import Envelope, EventPayload


async def handle(
    session: AsyncSession, envelope: Envelope, payload: EventPayload
) -> None:
    assert isinstance(payload, LotsDrawn)
    await receive_lots(session, envelope, payload)
