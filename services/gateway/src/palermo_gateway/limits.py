"""Per-client rate limit and request size limits.

The rate limit is a token bucket per client: a bucket contains at most `burst`
tokens, refills at `rate` tokens a second, and each request takes one. A
client is the subject of its verified token, or its network address when it
sent no valid token. Buckets live in this process's memory, so with several
gateway replicas each one limits separately.
"""

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from palermo_gateway.errors import error_response
from palermo_shared.errors import DomainError, PayloadTooLarge


class TooManyRequests(DomainError):
    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBucketLimiter:
    """Token buckets keyed by client, dropped once they are full again.

    Memory stays bounded by the clients seen within the last `burst / rate`
    seconds, because a bucket idle that long is full and equal to a new one.
    """

    def __init__(
        self,
        *,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, client: str) -> None:
        """Take one token for `client`, or raise `TooManyRequests`."""
        now = self._clock()
        self._drop_full_buckets(now)
        bucket = self._buckets.pop(client, None) or _Bucket(self._burst, now)
        bucket.tokens = self._refilled(bucket, now)
        bucket.updated = now
        self._buckets[client] = bucket
        if bucket.tokens < 1:
            wait = math.ceil((1 - bucket.tokens) / self._rate)
            raise TooManyRequests(
                f"too many requests from {client}; retry after {wait} s",
                retry_after=wait,
            )
        bucket.tokens -= 1

    def _refilled(self, bucket: _Bucket, now: float) -> float:
        return min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)

    def _drop_full_buckets(self, now: float) -> None:
        # Buckets are ordered by last use, so the oldest comes first.
        while self._buckets:
            oldest = next(iter(self._buckets.values()))
            if self._refilled(oldest, now) < self._burst:
                return
            self._buckets.popitem(last=False)


# Limits of a request's header fields, with room for any token the gateway
# accepts. uvicorn accepted a 20 MB header, which the gateway then forwarded.
# NOTE: the check runs after uvicorn has read the headers, so it protects the
# services but not the gateway's own memory; a reverse proxy in front can.
MAX_HEADER_FIELDS = 100
MAX_HEADER_BYTES = 32 * 1024


class HeadersTooLarge(DomainError):
    status_code = 431
    code = "request_header_fields_too_large"


class RequestSizeLimitMiddleware:
    """ASGI middleware that rejects oversized header fields and bodies.

    Header fields over `MAX_HEADER_FIELDS` or `MAX_HEADER_BYTES` get 431. A
    declared Content-Length over `max_bytes` is rejected with 413 before any
    of the body is read. A body sent without a length (chunked) is counted
    as it is read, and reading stops with 413 once it passes the limit.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self._max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            _check_headers(scope)
            self._check_declared_length(scope)
        except DomainError as error:
            response = await error_response(scope, error)
            await response(scope, receive, send)
            return
        await self.app(scope, self._counting(receive), send)

    def _check_declared_length(self, scope: Scope) -> None:
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit():
                self._check_size(int(value))

    def _check_size(self, size: int) -> None:
        if size > self._max_bytes:
            raise PayloadTooLarge(
                f"the request body is over the limit of {self._max_bytes} bytes",
                field="body",
                max_bytes=self._max_bytes,
            )

    def _counting(self, receive: Receive) -> Receive:
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                self._check_size(received)
            return message

        return counted


def _check_headers(scope: Scope) -> None:
    headers = scope["headers"]
    size = sum(len(name) + len(value) for name, value in headers)
    if len(headers) > MAX_HEADER_FIELDS or size > MAX_HEADER_BYTES:
        raise HeadersTooLarge(
            f"the request has {len(headers)} header fields of {size} bytes; the "
            f"limits are {MAX_HEADER_FIELDS} fields and {MAX_HEADER_BYTES} bytes",
            max_fields=MAX_HEADER_FIELDS,
            max_bytes=MAX_HEADER_BYTES,
        )
