"""Channels and delivery states of a notification."""

from enum import StrEnum


class Channel(StrEnum):
    # The delivery log itself, read by focal points through the API.
    INBOX = "inbox"
    WEBHOOK = "webhook"


class NotificationStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
