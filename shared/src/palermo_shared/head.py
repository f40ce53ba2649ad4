"""HEAD requests, handled as GET and sent without the body.

HTTP/1.1 requires general-purpose servers to support GET and HEAD (RFC 2616,
section 5.1.1), and uptime monitors and link checkers send HEAD. FastAPI
routes declared for GET return 405 to HEAD, so this middleware passes the
application a GET and drops the body of its response, keeping the status
and headers.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadMiddleware:
    """ASGI middleware that serves HEAD as GET and sends no body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        finished = False

        async def receive_until_finished() -> Message:
            # A streamed response, such as the event stream, ends only when
            # the client disconnects, so report a disconnect after the headers.
            if finished:
                return {"type": "http.disconnect"}
            return await receive()

        async def send_headers_only(message: Message) -> None:
            nonlocal finished
            if finished:
                return
            if message["type"] == "http.response.body":
                finished = True
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        get_scope = {**scope, "method": "GET"}
        await self.app(get_scope, receive_until_finished, send_headers_only)
