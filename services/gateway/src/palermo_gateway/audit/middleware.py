"""ASGI middleware that appends every state-changing request to the audit log.

It runs outside the gateway's other middleware, so requests rejected there
(no token, a role not allowed, a rate limit) are recorded too, with their
status code. The entry goes to the `AuditWriter` after the response was
sent, so the audit adds no latency to the response. The request id is the one
`RequestIdMiddleware` put in the response's `X-Request-ID` header.
"""

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from palermo_gateway.audit.recorder import request_entry
from palermo_gateway.audit.writer import AuditWriter
from palermo_shared.auth import Principal
from palermo_shared.request_id import REQUEST_ID_HEADER

STATE_CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class AuditMiddleware:
    def __init__(self, app: ASGIApp, writer: AuditWriter) -> None:
        self.app = app
        self._writer = writer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in STATE_CHANGING_METHODS:
            await self.app(scope, receive, send)
            return

        # A response that never started is an unhandled error.
        status_code = 500
        request_id: str | None = None

        async def send_and_note(message: Message) -> None:
            nonlocal status_code, request_id
            if message["type"] == "http.response.start":
                status_code = message["status"]
                headers = Headers(raw=message.get("headers", []))
                request_id = headers.get(REQUEST_ID_HEADER)
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            request_id = request_id or Headers(scope=scope).get(REQUEST_ID_HEADER)
            self._record(scope, request_id, status_code)

    def _record(self, scope: Scope, request_id: str | None, status_code: int) -> None:
        principal = scope.get("state", {}).get("principal")
        entry = request_entry(
            principal=principal if isinstance(principal, Principal) else None,
            method=scope["method"],
            path=scope["path"],
            request_id=request_id,
            status_code=status_code,
        )
        self._writer.submit(entry)
