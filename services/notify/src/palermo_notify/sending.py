"""Interface between the delivery worker and each channel's sender."""

from dataclasses import dataclass
from typing import Protocol

from palermo_notify.domain.notifications import Channel
from palermo_notify.tables import Notification


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base_seconds: float
    max_seconds: float


@dataclass(frozen=True)
class SendFailure:
    """Reason one attempt failed. A permanent failure is dead-lettered at once."""

    reason: str
    permanent: bool = False


class Sender(Protocol):
    channel: Channel
    # Upper bound of one `send` call, in seconds.
    timeout: float
    policy: RetryPolicy

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def send(self, notification: Notification) -> SendFailure | None:
        """Send one notification; return None on success."""
        ...
