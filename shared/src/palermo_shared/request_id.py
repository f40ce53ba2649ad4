"""The request id: one value per HTTP request, in its response and its log lines.

A client may send its own `X-Request-ID`. The id is kept when it is well
formed (1 to 128 letters, digits, `-`, `_`, `.` or `:`), so a caller can
follow its request through the logs. Otherwise a new UUID replaces it, so a
log line never carries text chosen by a client beyond that alphabet. The
id is written back into the request's headers, which the gateway forwards
unchanged, so a service called through the gateway logs the same id.
"""

import re
import uuid
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"
_WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{1,128}")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    """Return the id of the request being handled, or None outside a request."""
    return _request_id.get()


def accepted_request_id(sent: str | None) -> str:
    """Return `sent` when it is a well-formed request id, else a new one."""
    if sent is not None and _WELL_FORMED.fullmatch(sent):
        return sent
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """ASGI middleware that sets the request id for the request and its response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = MutableHeaders(scope=scope)
        request_id = accepted_request_id(request_headers.get(REQUEST_ID_HEADER))
        request_headers[REQUEST_ID_HEADER] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        token = _request_id.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _request_id.reset(token)
