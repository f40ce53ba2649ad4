"""HTTP request and response bodies of the notify service."""

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from palermo_notify.domain.notifications import Channel, NotificationStatus

MAX_PAGE_SIZE = 1000


def _as_utc(value: dt.datetime) -> dt.datetime:
    # SQLite returns the stored UTC times without their offset.
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


UtcDatetime = Annotated[dt.datetime, AfterValidator(_as_utc)]


class SubscriptionCreate(BaseModel):
    state: str = Field(
        min_length=3, max_length=3, description="ISO 3166-1 alpha-3 code of the State"
    )
    url: str = Field(
        min_length=1,
        max_length=2000,
        description="http(s) URL on an allowed host that receives the webhooks",
    )


class SubscriptionPublic(BaseModel):
    id: str
    state: str
    url: str
    created_at: UtcDatetime


class NotificationPublic(BaseModel):
    id: str
    event_id: str
    event_type: str
    subject: str = Field(description="CloudEvents subject of the notified event")
    recipient_state: str
    channel: Channel
    subscription_id: str | None = Field(
        description="Webhook subscription delivered to; null on the inbox channel"
    )
    status: NotificationStatus
    attempts: int
    last_error: str | None
    next_attempt_at: UtcDatetime | None
    created_at: UtcDatetime
    delivered_at: UtcDatetime | None


class NotificationPage(BaseModel):
    total: int = Field(description="Number of notifications matching the filters")
    items: list[NotificationPublic]
