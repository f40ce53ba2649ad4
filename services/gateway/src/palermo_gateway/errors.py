"""Error responses for the gateway's middleware.

Middleware runs outside FastAPI's exception handling, so it builds its
error responses with the handler the app installed for domain errors, and
they read the same as those of the routes.
"""

from fastapi import Request
from starlette.responses import Response
from starlette.types import Scope

from palermo_shared.errors import DomainError


async def error_response(scope: Scope, error: DomainError) -> Response:
    """Return the response the app's domain error handler builds for `error`."""
    handler = scope["app"].exception_handlers[DomainError]
    response: Response = await handler(Request(scope), error)
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    allowed = getattr(error, "allowed", None)
    if allowed is not None:
        response.headers["Allow"] = ", ".join(allowed)
    return response
