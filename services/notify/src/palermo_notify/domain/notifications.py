"""Channels and delivery states of a notification."""

from enum import StrEnum


class Channel(StrEnum):
    # The delivery log itself, read by focal points through the API.
    INBOX = "inbox"
    WEBHOOK = "webhook"
    EMAIL = "email"


class NotificationStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    # Not sent and never retried: its subscription or contact was removed.
    FAILED = "failed"
    # Retries exhausted or a permanent rejection; the Secretariat may re-send it.
    DEAD_LETTER = "dead_letter"
