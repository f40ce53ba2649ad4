"""Tables of the notify service. None of them goes on the wire as is."""

import datetime as dt

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from palermo_shared.clock import utcnow

_INBOX_ONLY = text("channel = 'inbox'")


class Notification(SQLModel, table=True):
    """One message to one State on one channel, and how its delivery went.

    An event notifies a State once on the inbox channel and once per webhook
    subscription of that State. The unique constraint covers webhook rows,
    and the partial index covers inbox rows, whose `subscription_id` is NULL
    and so never collides in a unique constraint.
    """

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient_state", "channel", "subscription_id"),
        Index(
            "uq_notification_inbox",
            "event_id",
            "recipient_state",
            "channel",
            unique=True,
            sqlite_where=_INBOX_ONLY,
            postgresql_where=_INBOX_ONLY,
        ),
        Index("ix_notification_due", "status", "next_attempt_at"),
    )

    id: str = Field(primary_key=True, max_length=36)
    event_id: str = Field(index=True, max_length=64)
    event_type: str = Field(index=True, max_length=200)
    subject: str = Field(max_length=500, description="CloudEvents subject of the event")
    correlation_id: str = Field(max_length=64)
    recipient_state: str = Field(index=True, max_length=3)
    channel: str = Field(max_length=16)
    subscription_id: str | None = Field(default=None, max_length=36)
    url: str | None = Field(default=None, max_length=2000)
    status: str = Field(max_length=16)
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: dt.datetime | None = None
    created_at: dt.datetime = Field(default_factory=utcnow)
    delivered_at: dt.datetime | None = None


class WebhookSubscription(SQLModel, table=True):
    __tablename__ = "webhook_subscription"
    __table_args__ = (UniqueConstraint("state", "url"),)

    id: str = Field(primary_key=True, max_length=36)
    state: str = Field(index=True, max_length=3)
    url: str = Field(max_length=2000)
    created_at: dt.datetime = Field(default_factory=utcnow)


class DrawnReviewer(SQLModel, table=True):
    """Reviewers from `LotsDrawn` events, to notify them of later steps."""

    __tablename__ = "drawn_reviewer"
    __table_args__ = (
        UniqueConstraint("phase_id", "instrument", "state_under_review", "reviewer"),
    )

    id: int | None = Field(default=None, primary_key=True)
    phase_id: str = Field(max_length=64)
    instrument: str = Field(max_length=40)
    state_under_review: str = Field(max_length=3)
    reviewer: str = Field(max_length=3)


MODELS = (Notification, WebhookSubscription, DrawnReviewer)
