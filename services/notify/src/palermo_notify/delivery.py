"""Delivery worker: sends pending webhook and e-mail notifications.

The worker claims due notifications in batches and sends a batch
concurrently, each send with its own time limit, so one slow receiver or
SMTP server delays only its own notification. A claim pushes
`next_attempt_at` past the send's time limit, so that another replica, or
this one after a crash, retries the notification only once the claim has
lapsed.

A failed attempt is retried with exponential backoff and jitter. After the
channel's maximum number of attempts, or at once on a permanent failure,
the notification moves to `dead_letter`, from which the Secretariat may
re-send it.

Delivery is at least once: a receiver may get a notification again when the
service stops between the send and the recording of its result. Webhook
receivers deduplicate by the `Palermo-Notification-Id` header, and mail
clients by the Message-ID, which is the notification id.
"""

import asyncio
import contextlib
import datetime as dt
import logging
import random
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_notify.domain.notifications import NotificationStatus
from palermo_notify.domain.webhooks import retry_delay
from palermo_notify.notifications import record_delivered
from palermo_notify.sending import Sender, SendFailure
from palermo_notify.settings import NotifySettings
from palermo_notify.tables import Notification
from palermo_shared.clock import utcnow
from palermo_shared.service import ServiceRuntime

logger = logging.getLogger(__name__)

CLAIM_MARGIN = dt.timedelta(seconds=30)


class DeliveryWorker:
    """Deliver pending notifications of the senders' channels until stopped."""

    def __init__(
        self,
        runtime: ServiceRuntime,
        settings: NotifySettings,
        senders: Sequence[Sender],
    ) -> None:
        self._runtime = runtime
        self._settings = settings
        self._senders = {sender.channel.value: sender for sender in senders}
        self._timeout = max(sender.timeout for sender in senders)
        self._claim = dt.timedelta(seconds=self._timeout) + CLAIM_MARGIN
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.delivered_total = 0
        self.dead_lettered_total = 0

    async def start(self) -> None:
        for sender in self._senders.values():
            await sender.open()
        self._task = asyncio.create_task(self._run(), name="notify-delivery")
        self._task.add_done_callback(_log_crash)
        logger.info(
            "delivery started for channels %s", ", ".join(sorted(self._senders))
        )

    async def stop(self) -> None:
        """Let the batch in hand finish within one send timeout, then cancel it."""
        self._stopping.set()
        if self._task is not None:
            _done, pending = await asyncio.wait({self._task}, timeout=self._timeout + 1)
            for task in pending:
                task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        for sender in self._senders.values():
            await sender.close()
        logger.info("delivery stopped")

    async def deliver_due(self) -> int:
        """Deliver one batch of due notifications; return how many were attempted."""
        batch = await self._claim_batch()
        results = await asyncio.gather(
            *(self._deliver(notification) for notification in batch),
            return_exceptions=True,
        )
        for notification, result in zip(batch, results, strict=True):
            if isinstance(result, Exception):
                logger.error(
                    "notification %s: delivery failed unexpectedly, "
                    "retrying after the claim lapses: %r",
                    notification.id,
                    result,
                )
        return len(batch)

    async def _run(self) -> None:
        poll_interval = self._settings.webhook_poll_interval_seconds
        while not self._stopping.is_set():
            try:
                attempted = await self.deliver_due()
            except SQLAlchemyError as error:
                logger.warning(
                    "delivery: database error, retrying in %.1f s: %r",
                    poll_interval,
                    error,
                )
                attempted = 0
            if attempted == 0:
                await self._pause(poll_interval)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stopping.wait()

    async def _claim_batch(self) -> list[Notification]:
        now = utcnow()
        async with self._runtime.sessions() as session, session.begin():
            query = (
                select(Notification)
                .where(
                    col(Notification.channel).in_(list(self._senders)),
                    col(Notification.status) == NotificationStatus.PENDING.value,
                    col(Notification.next_attempt_at) <= now,
                )
                .order_by(col(Notification.next_attempt_at))
                .limit(self._settings.webhook_batch_size)
                .with_for_update(skip_locked=True)
            )
            batch = list((await session.exec(query)).all())
            if batch:
                await session.exec(
                    update(Notification)
                    .where(col(Notification.id).in_([n.id for n in batch]))
                    .values(next_attempt_at=now + self._claim)
                )
        return batch

    async def _deliver(self, notification: Notification) -> None:
        sender = self._senders[notification.channel]
        failure = await sender.send(notification)
        if failure is None:
            await self._record_success(notification.id)
        else:
            await self._record_failure(notification.id, sender, failure)

    async def _record_success(self, notification_id: str) -> None:
        async with self._runtime.transaction() as session:
            notification = await _pending_notification(session, notification_id)
            if notification is None:
                return
            notification.status = NotificationStatus.DELIVERED.value
            notification.attempts += 1
            notification.delivered_at = utcnow()
            notification.next_attempt_at = None
            notification.last_error = None
            session.add(notification)
            record_delivered(session, notification.model_dump(), cause=None)
        self.delivered_total += 1
        logger.info(
            "%s notification %s delivered (State %s)",
            notification.channel,
            notification_id,
            notification.recipient_state or "Secretariat",
        )

    async def _record_failure(
        self, notification_id: str, sender: Sender, failure: SendFailure
    ) -> None:
        async with self._runtime.transaction() as session:
            notification = await _pending_notification(session, notification_id)
            if notification is None:
                return
            notification.attempts += 1
            notification.last_error = failure.reason
            attempts_left = sender.policy.max_attempts - notification.attempts
            if failure.permanent or attempts_left <= 0:
                notification.status = NotificationStatus.DEAD_LETTER.value
                notification.next_attempt_at = None
            else:
                _schedule_retry(notification, sender)
            session.add(notification)

        if notification.status == NotificationStatus.DEAD_LETTER.value:
            self.dead_lettered_total += 1
            logger.error(
                "%s notification %s (State %s) dead-lettered after %d attempts; "
                "re-send it with POST /notifications/%s/resend: %s",
                notification.channel,
                notification_id,
                notification.recipient_state or "Secretariat",
                notification.attempts,
                notification_id,
                failure.reason,
            )


def _schedule_retry(notification: Notification, sender: Sender) -> None:
    delay = retry_delay(
        notification.attempts,
        base=sender.policy.base_seconds,
        cap=sender.policy.max_seconds,
        jitter=random.random(),
    )
    notification.next_attempt_at = utcnow() + dt.timedelta(seconds=delay)
    logger.warning(
        "%s notification %s attempt %d of %d failed, retrying in %.1f s: %s",
        notification.channel,
        notification.id,
        notification.attempts,
        sender.policy.max_attempts,
        delay,
        notification.last_error,
    )


async def _pending_notification(
    session: AsyncSession, notification_id: str
) -> Notification | None:
    """Return the notification while it is still pending.

    Deleting a subscription or deactivating a contact fails its pending
    notifications, also one whose send is in flight, and that outcome is kept.
    """
    notification = await session.get(
        Notification, notification_id, with_for_update=True
    )
    if notification is None:
        return None
    if notification.status != NotificationStatus.PENDING.value:
        return None
    return notification


def _log_crash(task: asyncio.Task[None]) -> None:
    if task.cancelled() or task.exception() is None:
        return
    logger.error(
        "delivery stopped by an unexpected error; pending notifications "
        "wait until the service restarts: %r",
        task.exception(),
        exc_info=task.exception(),
    )
