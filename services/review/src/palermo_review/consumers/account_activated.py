from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_review.accounts import receive_account
from palermo_shared.contracts import AccountActivated
from palermo_shared.events import Envelope, EventPayload


async def handle(
    session: AsyncSession, envelope: Envelope, payload: EventPayload
) -> None:
    assert isinstance(payload, AccountActivated)
    await receive_account(session, payload)
