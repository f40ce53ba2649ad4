"""Webhook subscriptions of States' focal points."""

import logging
import secrets
from collections.abc import Collection

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_notify.domain.notifications import NotificationStatus
from palermo_notify.domain.webhooks import normalized_webhook_url, webhook_url_problem
from palermo_notify.tables import Notification, WebhookSubscription
from palermo_shared.errors import Conflict, InvalidInput, NotFound
from palermo_shared.ids import new_id

logger = logging.getLogger(__name__)


async def create_subscription(
    session: AsyncSession, *, state: str, url: str, allowed_hosts: Collection[str]
) -> WebhookSubscription:
    """Subscribe a webhook URL to a State's notifications, with a new secret.

    `state` is a code that the API schema has checked against the registry.
    Raises `InvalidInput` for a URL that may not receive webhooks, and
    `Conflict` when the State already has that URL in its normalized form.
    """
    url = url.strip()
    problem = webhook_url_problem(url, allowed_hosts)
    if problem is not None:
        raise InvalidInput(problem, field="url")
    url = normalized_webhook_url(url)

    subscription = WebhookSubscription(
        id=new_id(), state=state, url=url, secret=secrets.token_urlsafe(32)
    )
    session.add(subscription)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(
            f"State {state} is already subscribed with URL {url}; "
            "list its subscriptions with GET /subscriptions?state=" + state
        ) from None

    logger.info("subscription %s created for State %s", subscription.id, state)
    return subscription


async def list_subscriptions(
    session: AsyncSession, *, state: str | None
) -> list[WebhookSubscription]:
    query = select(WebhookSubscription).order_by(
        col(WebhookSubscription.state), col(WebhookSubscription.created_at)
    )
    if state is not None:
        query = query.where(WebhookSubscription.state == state)
    return list((await session.exec(query)).all())


async def delete_subscription(session: AsyncSession, subscription_id: str) -> None:
    """Delete a subscription and fail its webhook notifications still pending."""
    subscription = await session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        raise NotFound(
            f"subscription {subscription_id} not found; "
            "list subscriptions with GET /subscriptions"
        )
    await session.delete(subscription)

    result = await session.exec(
        update(Notification)
        .where(
            col(Notification.subscription_id) == subscription_id,
            col(Notification.status) == NotificationStatus.PENDING.value,
        )
        .values(
            status=NotificationStatus.FAILED.value,
            next_attempt_at=None,
            last_error=f"subscription {subscription_id} was deleted before delivery",
        )
    )
    logger.info(
        "subscription %s of State %s deleted; %d pending notifications failed",
        subscription_id,
        subscription.state,
        result.rowcount,
    )
