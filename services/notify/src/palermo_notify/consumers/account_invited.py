"""`AccountInvited`: e-mail the activation link to the invited person.

An invitation goes to the one address the Secretariat registered, never to
a State's contacts, inbox or webhooks. The message carries the activation
link, so the rendered body stays in the notification row (which the API
never shows) until it is sent.
"""

import logging

from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_notify.domain.notifications import Channel, NotificationStatus
from palermo_notify.domain.rules import plan_recipients
from palermo_notify.messages import render_message
from palermo_notify.settings import NotifySettings
from palermo_notify.tables import Notification
from palermo_shared.clock import utcnow
from palermo_shared.contracts import AccountInvited
from palermo_shared.events import Envelope, EventPayload
from palermo_shared.ids import new_id

logger = logging.getLogger(__name__)

MESSAGE_KIND = "account_invited"


async def handle(
    session: AsyncSession,
    envelope: Envelope,
    payload: EventPayload,
    *,
    settings: NotifySettings,
) -> None:
    assert isinstance(payload, AccountInvited)
    for address in plan_recipients(envelope.type, payload).addresses:
        session.add(_invitation_email(envelope, payload, address))
    logger.info(
        "event %s (%s): invitation e-mail to account %s pending",
        envelope.id,
        envelope.type,
        payload.account_id,
    )


def _invitation_email(
    envelope: Envelope, payload: AccountInvited, address: str
) -> Notification:
    # The template's `date` is the expiry date of the invitation.
    facts = {
        "name": payload.name,
        "role": payload.role.replace("_", " "),
        "state": payload.state or "",
        "occurred_at": payload.expires_at,
    }
    links = {"activation_url": payload.activation_url}
    message = render_message(MESSAGE_KIND, payload.language, facts, links)
    return Notification(
        id=new_id(),
        event_id=envelope.id,
        event_type=envelope.type,
        subject=envelope.subject,
        correlation_id=envelope.correlationid,
        recipient_state=None,
        channel=Channel.EMAIL.value,
        status=NotificationStatus.PENDING.value,
        address=address,
        language=message.language,
        message_subject=message.subject,
        message_body=message.body,
        next_attempt_at=utcnow(),
    )
