"""Creating notifications for events and reading the delivery log."""

import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_notify.domain.notifications import Channel, NotificationStatus
from palermo_notify.tables import Notification, WebhookSubscription
from palermo_shared.clock import utcnow
from palermo_shared.contracts import NotificationDelivered
from palermo_shared.errors import NotFound
from palermo_shared.events import Envelope, new_event
from palermo_shared.outbox import record_event

logger = logging.getLogger(__name__)

SOURCE = "/palermo/notify"


async def notify_states(
    session: AsyncSession, envelope: Envelope, recipients: Sequence[str]
) -> None:
    """Notify each recipient of an event in the inbox and on its webhooks.

    Inbox notifications are delivered in this transaction. Webhook
    notifications are left pending for the delivery worker.
    """
    subscriptions = await _subscriptions_by_state(session, recipients)
    webhook_count = 0
    for state in recipients:
        _add_inbox_notification(session, envelope, state)
        for subscription in subscriptions[state]:
            _add_webhook_notification(session, envelope, subscription)
            webhook_count += 1

    logger.info(
        "event %s (%s): notified %d States, %d webhook deliveries pending",
        envelope.id,
        envelope.type,
        len(recipients),
        webhook_count,
    )


def record_delivered(
    session: AsyncSession, notification: Notification, *, cause: Envelope | None
) -> None:
    """Record a `NotificationDelivered` event for a delivered notification.

    Without the cause's envelope at hand (webhook deliveries happen later),
    the event still joins the cause's flow through the stored correlation id
    and the notified event's id as causation id.
    """
    assert notification.delivered_at is not None
    payload = NotificationDelivered(
        notification_id=notification.id,
        event_id=notification.event_id,
        notified_event_type=notification.event_type,
        recipient_state=notification.recipient_state,
        channel=notification.channel,
        delivered_at=notification.delivered_at,
    )
    subject = f"notification/{notification.id}"
    envelope = new_event(
        payload,
        source=SOURCE,
        subject=subject,
        cause=cause,
        correlation_id=notification.correlation_id,
        causation_id=notification.event_id,
    )
    record_event(session, envelope)


def _new_notification(
    envelope: Envelope, state: str, channel: Channel, status: NotificationStatus
) -> Notification:
    return Notification(
        id=str(uuid.uuid4()),
        event_id=envelope.id,
        event_type=envelope.type,
        subject=envelope.subject,
        correlation_id=envelope.correlationid,
        recipient_state=state,
        channel=channel.value,
        status=status.value,
    )


def _add_inbox_notification(
    session: AsyncSession, envelope: Envelope, state: str
) -> None:
    notification = _new_notification(
        envelope, state, Channel.INBOX, NotificationStatus.DELIVERED
    )
    notification.attempts = 1
    notification.delivered_at = utcnow()
    session.add(notification)
    record_delivered(session, notification, cause=envelope)


def _add_webhook_notification(
    session: AsyncSession, envelope: Envelope, subscription: WebhookSubscription
) -> None:
    notification = _new_notification(
        envelope, subscription.state, Channel.WEBHOOK, NotificationStatus.PENDING
    )
    notification.subscription_id = subscription.id
    notification.url = subscription.url
    notification.next_attempt_at = utcnow()
    session.add(notification)


async def _subscriptions_by_state(
    session: AsyncSession, states: Sequence[str]
) -> dict[str, list[WebhookSubscription]]:
    query = (
        select(WebhookSubscription)
        .where(col(WebhookSubscription.state).in_(states))
        .order_by(col(WebhookSubscription.created_at), col(WebhookSubscription.id))
    )
    by_state: dict[str, list[WebhookSubscription]] = defaultdict(list)
    for subscription in (await session.exec(query)).all():
        by_state[subscription.state].append(subscription)
    return by_state


@dataclass(frozen=True)
class NotificationFilter:
    """Conditions of a delivery-log query; None matches any value."""

    state: str | None = None
    event_id: str | None = None
    event_type: str | None = None
    status: NotificationStatus | None = None
    channel: Channel | None = None


async def list_notifications(
    session: AsyncSession, where: NotificationFilter, *, limit: int, offset: int
) -> tuple[int, list[Notification]]:
    """Return the count of matching notifications and one page, oldest first."""
    conditions = _conditions(where)
    count_query = select(func.count()).select_from(Notification).where(*conditions)
    total = (await session.exec(count_query)).one()

    page_query = (
        select(Notification)
        .where(*conditions)
        .order_by(col(Notification.created_at), col(Notification.id))
        .limit(limit)
        .offset(offset)
    )
    return total, list((await session.exec(page_query)).all())


def _conditions(where: NotificationFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if where.state is not None:
        conditions.append(col(Notification.recipient_state) == where.state)
    if where.event_id is not None:
        conditions.append(col(Notification.event_id) == where.event_id)
    if where.event_type is not None:
        conditions.append(col(Notification.event_type) == where.event_type)
    if where.status is not None:
        conditions.append(col(Notification.status) == where.status.value)
    if where.channel is not None:
        conditions.append(col(Notification.channel) == where.channel.value)
    return conditions


async def get_notification(session: AsyncSession, notification_id: str) -> Notification:
    notification = await session.get(Notification, notification_id)
    if notification is None:
        raise NotFound(
            f"notification {notification_id} not found; "
            "list notifications with GET /notifications"
        )
    return notification
