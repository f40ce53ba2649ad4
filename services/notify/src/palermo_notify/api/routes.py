"""Routes of the notify service: subscriptions, rules and the delivery log."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from palermo_notify import notifications, subscriptions
from palermo_notify.api.schemas import (
    MAX_PAGE_SIZE,
    NotificationPage,
    NotificationPublic,
    RulePublic,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionPublic,
)
from palermo_notify.domain.notifications import Channel, NotificationStatus
from palermo_notify.domain.rules import RULES, Audience, NotificationRule
from palermo_notify.notifications import NotificationFilter
from palermo_notify.settings import NotifySettings
from palermo_notify.tables import Notification, WebhookSubscription
from palermo_shared.auth import (
    AUTHENTICATED,
    SECRETARIAT_ONLY,
    STATE_ROLES,
    Caller,
    Principal,
)
from palermo_shared.db import MAX_STORED_INT
from palermo_shared.errors import Forbidden
from palermo_shared.filters import StateFilter
from palermo_shared.service import ServiceRuntime, runtime_of
from palermo_shared.text import SINGLE_LINE

router = APIRouter(dependencies=[AUTHENTICATED])
Runtime = Annotated[ServiceRuntime, Depends(runtime_of)]


def _settings_of(request: Request) -> NotifySettings:
    settings: NotifySettings = request.app.state.runtime.settings
    return settings


def _visible_state(principal: Principal, state: str | None) -> str | None:
    """Return the State whose notifications `principal` may list.

    The Secretariat lists any State's or all; a focal point or expert lists only
    its own State's; observers list none.
    """
    if principal.is_secretariat:
        return state
    if principal.role not in STATE_ROLES:
        raise Forbidden("notifications are visible to the Secretariat and States only")
    if state and state != principal.state:
        raise Forbidden(
            f"a token of {principal.state} lists only the notifications of "
            f"{principal.state}; remove the state filter or set it to that code"
        )
    return principal.state


def _subscription_public(subscription: WebhookSubscription) -> SubscriptionPublic:
    return SubscriptionPublic.model_validate(subscription, from_attributes=True)


def _notification_public(notification: Notification) -> NotificationPublic:
    return NotificationPublic.model_validate(notification, from_attributes=True)


@router.post(
    "/subscriptions",
    response_model=SubscriptionCreated,
    status_code=status.HTTP_201_CREATED,
    dependencies=[SECRETARIAT_ONLY],
)
async def create_subscription(
    body: SubscriptionCreate,
    runtime: Runtime,
    settings: Annotated[NotifySettings, Depends(_settings_of)],
) -> SubscriptionCreated:
    async with runtime.transaction() as session:
        subscription = await subscriptions.create_subscription(
            session,
            state=body.state,
            url=body.url,
            allowed_hosts=settings.webhook_allowed_hosts,
        )
    return SubscriptionCreated.model_validate(subscription, from_attributes=True)


@router.get(
    "/subscriptions",
    response_model=list[SubscriptionPublic],
    dependencies=[SECRETARIAT_ONLY],
)
async def list_subscriptions(
    runtime: Runtime, state: StateFilter = None
) -> list[SubscriptionPublic]:
    async with runtime.session() as session:
        found = await subscriptions.list_subscriptions(session, state=state)
    return [_subscription_public(s) for s in found]


@router.delete(
    "/subscriptions/{subscription_id}",
    status_code=204,
    dependencies=[SECRETARIAT_ONLY],
)
async def delete_subscription(subscription_id: str, runtime: Runtime) -> Response:
    async with runtime.transaction() as session:
        await subscriptions.delete_subscription(session, subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/notifications", response_model=NotificationPage)
async def list_notifications(
    runtime: Runtime,
    principal: Caller,
    state: StateFilter = None,
    event_id: Annotated[str | None, Query(max_length=64), SINGLE_LINE] = None,
    event_type: Annotated[str | None, Query(max_length=200), SINGLE_LINE] = None,
    status: NotificationStatus | None = None,
    channel: Channel | None = None,
    contact_id: Annotated[str | None, Query(max_length=36), SINGLE_LINE] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
    # The databases take a 64-bit OFFSET; a larger one fails in the driver.
    offset: Annotated[int, Query(ge=0, le=MAX_STORED_INT)] = 0,
) -> NotificationPage:
    where = NotificationFilter(
        state=_visible_state(principal, state),
        event_id=event_id,
        event_type=event_type,
        status=status,
        channel=channel,
        contact_id=contact_id,
    )
    async with runtime.session() as session:
        total, page = await notifications.list_notifications(
            session, where, limit=limit, offset=offset
        )
    return NotificationPage(total=total, items=[_notification_public(n) for n in page])


@router.get("/notifications/{notification_id}", response_model=NotificationPublic)
async def get_notification(
    notification_id: str, runtime: Runtime, principal: Caller
) -> NotificationPublic:
    async with runtime.session() as session:
        notification = await notifications.get_notification(session, notification_id)
    recipient = notification.recipient_state
    if not (principal.is_secretariat or principal.acts_for(recipient or "")):
        raise Forbidden(f"notification {notification_id} is not addressed to you")
    return _notification_public(notification)


@router.post(
    "/notifications/{notification_id}/resend",
    response_model=NotificationPublic,
    dependencies=[SECRETARIAT_ONLY],
)
async def resend_notification(
    notification_id: str, runtime: Runtime
) -> NotificationPublic:
    """Queue a dead-lettered notification again; 409 for any other status."""
    async with runtime.transaction() as session:
        notification = await notifications.resend_notification(session, notification_id)
    return _notification_public(notification)


@router.get("/rules", response_model=list[RulePublic])
async def list_rules() -> list[RulePublic]:
    """List which event notifies whom, in the order they are checked."""
    return [_rule_public(rule) for rule in RULES]


def _rule_public(rule: NotificationRule) -> RulePublic:
    audiences = [
        {"audience": audience, "email_roles": list(roles)}
        for audience, roles in rule.roles.items()
    ]
    if rule.notifies_secretariat:
        audiences.append({"audience": Audience.SECRETARIAT, "email_roles": []})
    return RulePublic.model_validate(
        {
            "event_type": rule.event_type,
            "description": rule.description,
            "audiences": audiences,
            "channels": list(Channel),
        }
    )
