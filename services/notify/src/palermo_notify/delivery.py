"""Webhook delivery: a background worker that POSTs pending notifications.

The worker claims due notifications in batches and sends a batch
concurrently, each request with its own time limit, so one slow receiver
delays only its own notification. A claim pushes `next_attempt_at` past the
request's time limit, so that another replica, or this one after a crash,
retries the notification only once the claim has lapsed.

Delivery is at least once: a receiver may get a notification again when the
service stops between the request and the recording of its result, and
deduplicates by the `Palermo-Notification-Id` header.
"""

import asyncio
import contextlib
import datetime as dt
import logging
from urllib.parse import urlsplit

import httpx
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_notify.domain.notifications import Channel, NotificationStatus
from palermo_notify.domain.webhooks import (
    retry_delay,
    webhook_body,
    webhook_url_problem,
)
from palermo_notify.notifications import record_delivered
from palermo_notify.settings import NotifySettings
from palermo_notify.tables import Notification
from palermo_shared.clock import utcnow
from palermo_shared.service import ServiceRuntime

logger = logging.getLogger(__name__)

NOTIFICATION_ID_HEADER = "Palermo-Notification-Id"
CLAIM_MARGIN = dt.timedelta(seconds=30)


class WebhookDelivery:
    """Deliver pending webhook notifications until stopped."""

    def __init__(self, runtime: ServiceRuntime, settings: NotifySettings) -> None:
        self._runtime = runtime
        self._settings = settings
        self._timeout = settings.webhook_timeout_seconds
        self._claim = dt.timedelta(seconds=self._timeout) + CLAIM_MARGIN
        self._stopping = asyncio.Event()
        self._client: httpx.AsyncClient | None = None
        self._task: asyncio.Task[None] | None = None
        self.delivered_total = 0
        self.failed_total = 0

    def start(self) -> None:
        # Redirects are not followed, because a redirect could lead to a
        # host outside `webhook_allowed_hosts`. A 3xx response is a failure.
        self._client = httpx.AsyncClient(
            timeout=self._timeout,
            follow_redirects=False,
            headers={"User-Agent": "palermo-notify"},
        )
        self._task = asyncio.create_task(self._run(), name="notify-webhook-delivery")
        self._task.add_done_callback(_log_crash)
        logger.info(
            "webhook delivery started (timeout %.1f s, %d attempts)",
            self._timeout,
            self._settings.webhook_max_attempts,
        )

    async def stop(self) -> None:
        """Let the batch in hand finish within one request timeout, then cancel it."""
        self._stopping.set()
        if self._task is not None:
            _done, pending = await asyncio.wait({self._task}, timeout=self._timeout + 1)
            for task in pending:
                task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
        logger.info("webhook delivery stopped")

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
                    "webhook notification %s: delivery failed unexpectedly, "
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
                    "webhook delivery: database error, retrying in %.1f s: %r",
                    poll_interval,
                    error,
                )
                attempted = 0
            if attempted == 0:
                await self._pause(poll_interval)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _claim_batch(self) -> list[Notification]:
        now = utcnow()
        async with self._runtime.sessions() as session, session.begin():
            query = (
                select(Notification)
                .where(
                    col(Notification.channel) == Channel.WEBHOOK.value,
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
        assert notification.url is not None
        # Checked again because the allowed hosts may have changed since the
        # subscription was created.
        problem = webhook_url_problem(
            notification.url, self._settings.webhook_allowed_hosts
        )
        if problem is not None:
            await self._record_failure(notification.id, problem, retry=False)
            return

        error = await self._post(notification, notification.url)
        if error is None:
            await self._record_success(notification.id)
        else:
            await self._record_failure(notification.id, error, retry=True)

    async def _post(self, notification: Notification, url: str) -> str | None:
        """POST the notification; return why it failed, or None on a 2xx response."""
        assert self._client is not None
        body = webhook_body(
            notification_id=notification.id,
            event_id=notification.event_id,
            event_type=notification.event_type,
            subject=notification.subject,
            recipient_state=notification.recipient_state,
        )
        headers = {NOTIFICATION_ID_HEADER: notification.id}
        try:
            # The total limit also bounds a receiver that responds byte by byte.
            async with (
                asyncio.timeout(self._timeout),
                self._client.stream(
                    "POST", url, json=body, headers=headers
                ) as response,
            ):
                status = response.status_code
        except (TimeoutError, httpx.TimeoutException):
            return f"timed out after {self._timeout:g} s without a response"
        except httpx.HTTPError as error:
            return f"request failed: {type(error).__name__}: {error}"

        if 200 <= status < 300:
            return None
        return f"receiver responded with HTTP {status}"

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
            record_delivered(session, notification, cause=None)
        self.delivered_total += 1
        logger.info(
            "webhook notification %s delivered to State %s (host %s)",
            notification_id,
            notification.recipient_state,
            _host_of(notification.url),
        )

    async def _record_failure(
        self, notification_id: str, reason: str, *, retry: bool
    ) -> None:
        async with self._runtime.transaction() as session:
            notification = await _pending_notification(session, notification_id)
            if notification is None:
                return
            notification.attempts += 1
            notification.last_error = reason
            attempts_left = self._settings.webhook_max_attempts - notification.attempts
            if retry and attempts_left > 0:
                self._schedule_retry(notification)
            else:
                notification.status = NotificationStatus.FAILED.value
                notification.next_attempt_at = None
            session.add(notification)

        if notification.status == NotificationStatus.FAILED.value:
            self.failed_total += 1
            logger.error(
                "webhook notification %s to State %s (host %s) failed after "
                "%d attempts, giving up: %s",
                notification_id,
                notification.recipient_state,
                _host_of(notification.url),
                notification.attempts,
                reason,
            )

    def _schedule_retry(self, notification: Notification) -> None:
        delay = retry_delay(
            notification.attempts,
            base=self._settings.webhook_retry_base_seconds,
            cap=self._settings.webhook_retry_max_seconds,
        )
        notification.next_attempt_at = utcnow() + dt.timedelta(seconds=delay)
        logger.warning(
            "webhook notification %s attempt %d of %d failed, retrying in %.1f s: %s",
            notification.id,
            notification.attempts,
            self._settings.webhook_max_attempts,
            delay,
            notification.last_error,
        )


async def _pending_notification(
    session: AsyncSession, notification_id: str
) -> Notification | None:
    """Return the notification while it is still pending.

    Deleting a subscription fails its pending notifications, also one whose
    request is in flight, and that outcome is kept.
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
        "webhook delivery stopped by an unexpected error; pending webhooks "
        "wait until the service restarts: %r",
        task.exception(),
        exc_info=task.exception(),
    )


def _host_of(url: str | None) -> str:
    # Only the host is logged, because webhook URLs may carry a secret token.
    return urlsplit(url or "").hostname or "unknown"
