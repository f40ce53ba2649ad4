"""Webhook requests: signed JSON POSTs to subscribed URLs on allowed hosts."""

import asyncio
import json

import httpx

from palermo_notify.domain.messages import notification_url
from palermo_notify.domain.notifications import Channel
from palermo_notify.domain.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from palermo_notify.domain.webhooks import send_problem, webhook_body
from palermo_notify.sending import RetryPolicy, SendFailure
from palermo_notify.settings import NotifySettings
from palermo_notify.tables import Notification, WebhookSubscription
from palermo_shared.clock import utcnow
from palermo_shared.service import ServiceRuntime

NOTIFICATION_ID_HEADER = "Palermo-Notification-Id"


class WebhookSender:
    channel = Channel.WEBHOOK

    def __init__(self, runtime: ServiceRuntime, settings: NotifySettings) -> None:
        self._runtime = runtime
        self._allowed_hosts = settings.webhook_allowed_hosts
        self._public_base_url = settings.public_base_url
        self.timeout = settings.webhook_timeout_seconds
        self.policy = RetryPolicy(
            max_attempts=settings.webhook_max_attempts,
            base_seconds=settings.webhook_retry_base_seconds,
            max_seconds=settings.webhook_retry_max_seconds,
        )
        self._client: httpx.AsyncClient | None = None

    async def open(self) -> None:
        # Redirects are not followed, because a redirect could lead to a
        # host outside `webhook_allowed_hosts`. A 3xx response is a failure.
        self._client = httpx.AsyncClient(
            timeout=self.timeout,
            follow_redirects=False,
            headers={"User-Agent": "palermo-notify"},
        )

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def send(self, notification: Notification) -> SendFailure | None:
        url = notification.url or ""
        # Checked again because the allowed hosts may have changed since the
        # subscription was created.
        problem = send_problem(url, self._allowed_hosts)
        if problem is not None:
            return SendFailure(problem, permanent=True)
        secret = await self._secret_of(notification.subscription_id)
        if secret is None:
            return SendFailure(
                f"subscription {notification.subscription_id} no longer exists",
                permanent=True,
            )
        return await self._post(notification, url, secret)

    async def _secret_of(self, subscription_id: str | None) -> str | None:
        if subscription_id is None:
            return None
        async with self._runtime.session() as session:
            subscription = await session.get(WebhookSubscription, subscription_id)
        return subscription.secret if subscription is not None else None

    async def _post(
        self, notification: Notification, url: str, secret: str
    ) -> SendFailure | None:
        assert self._client is not None
        body = _encoded_body(notification, self._public_base_url)
        timestamp = int(utcnow().timestamp())
        headers = {
            "Content-Type": "application/json",
            NOTIFICATION_ID_HEADER: notification.id,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(secret, timestamp, body),
        }
        try:
            # The total limit also bounds a receiver that responds byte by byte.
            async with (
                asyncio.timeout(self.timeout),
                self._client.stream(
                    "POST", url, content=body, headers=headers
                ) as response,
            ):
                status = response.status_code
        except (TimeoutError, httpx.TimeoutException):
            return SendFailure(f"timed out after {self.timeout:g} s without a response")
        except httpx.HTTPError as error:
            return SendFailure(f"request failed: {type(error).__name__}: {error}")

        if 200 <= status < 300:
            return None
        return SendFailure(f"receiver responded with HTTP {status}")


def _encoded_body(notification: Notification, public_base_url: str) -> bytes:
    """Return the exact bytes that are signed and sent."""
    body = webhook_body(
        notification_id=notification.id,
        event_id=notification.event_id,
        event_type=notification.event_type,
        subject=notification.subject,
        recipient_state=notification.recipient_state or "",
        notification_url=notification_url(public_base_url, notification.id),
    )
    return json.dumps(body, separators=(",", ":")).encode()
