"""Security headers on every gateway response.

API responses are data, never a page: their policy allows no content at
all and they are never cached, because they may hold a State's data. Other
paths (the dashboard page and its assets) may load scripts, styles, images
and data from the gateway's own origin only. A response that sets its own
Content-Security-Policy keeps it.
"""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from palermo_gateway.policy import API_PREFIX

API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"
PAGE_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


class SecurityHeadersMiddleware:
    """ASGI middleware that adds the security headers to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_api = scope["path"].startswith(API_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                _add_headers(MutableHeaders(scope=message), is_api=is_api)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _add_headers(headers: MutableHeaders, *, is_api: bool) -> None:
    for name, value in COMMON_HEADERS.items():
        headers[name] = value
    if is_api:
        headers.setdefault("Content-Security-Policy", API_CONTENT_SECURITY_POLICY)
        headers["Cache-Control"] = "no-store"
    else:
        headers.setdefault("Content-Security-Policy", PAGE_CONTENT_SECURITY_POLICY)
