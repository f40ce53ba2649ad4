from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_review.reviews import receive_questionnaire
from palermo_shared.contracts import QuestionnaireSubmitted
from palermo_shared.events import Envelope, EventPayload


async def handle(
    session: AsyncSession, envelope: Envelope, payload: EventPayload
) -> None:
    assert isinstance(payload, QuestionnaireSubmitted)
    await receive_questionnaire(session, envelope, payload)
