"""Authentication, rate limit and authorization of every gateway request.

Each request under `/api/v1` goes through three steps before any route:

1. the bearer token is verified into a `Principal`, kept on
   `request.state.principal` for the routes (`palermo_shared.auth.Caller`);
2. the client's token bucket is charged, keyed by the token's subject, or by
   the client's address when there is no valid token, so failed attempts
   are limited too;
3. a request without a valid token gets 401 unless its path is public. A
   method that no route serves, or a write that the route policy lists for
   other methods only, gets 405 when the path does not serve the method.
   A principal whose role the route policy does not allow gets 403.

Browsers cannot set headers on an EventSource, so the event stream also
accepts the token as an `access_token` query parameter. The parameter is
removed from every request, whatever its path, before the routes, the
services and the access log see it.
"""

import logging
from urllib.parse import parse_qsl, unquote_plus, urlencode

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from palermo_gateway.errors import error_response
from palermo_gateway.limits import TokenBucketLimiter
from palermo_gateway.methods import served_methods
from palermo_gateway.policy import (
    API_PREFIX,
    ROUTED_METHODS,
    MethodNotAllowed,
    authorize,
    is_public,
    lists_other_methods_only,
)
from palermo_shared.auth import Principal, TokenVerifier
from palermo_shared.errors import DomainError, NotFound, Unauthorized

logger = logging.getLogger(__name__)

STREAM_PATH = "/api/v1/events"
TOKEN_QUERY_PARAMETER = "access_token"


class AccessMiddleware:
    """ASGI middleware that authenticates, rate-limits and authorizes requests."""

    def __init__(self, app: ASGIApp, *, limiter: TokenBucketLimiter) -> None:
        self.app = app
        self._limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await self._check(Request(scope))
        except DomainError as error:
            response = await error_response(scope, error)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _check(self, request: Request) -> None:
        query_token = _take_query_token(request)
        path = request.url.path
        _reject_dot_segments(path)
        _reject_empty_segments(path)
        public = is_public(path)
        principal, failure = await self._authenticate(
            request, public=public, query_token=query_token
        )

        self._limiter.take(_client_key(request, principal))

        if public:
            if request.method not in ROUTED_METHODS:
                await _check_method_served(request)
            return
        if principal is None:
            raise failure or Unauthorized("the request carries no token")
        unrouted = request.method not in ROUTED_METHODS
        if unrouted or lists_other_methods_only(request.method, path):
            await _check_method_served(request)
        authorize(principal, request.method, path)

    async def _authenticate(
        self, request: Request, *, public: bool, query_token: str | None
    ) -> tuple[Principal | None, Unauthorized | None]:
        """Return the verified caller, or the reason there is none."""
        if public:
            return None, None
        verifier: TokenVerifier = request.app.state.token_verifier
        try:
            token = _token(request, query_token)
            principal = await verifier.verify(token) if token else None
        except Unauthorized as failure:
            logger.info(
                "rejected the token of %s for %s %s: %s",
                _address(request),
                request.method,
                request.url.path,
                failure.message,
            )
            return None, failure
        if principal is not None:
            request.state.principal = principal
        return principal, None


async def _check_method_served(request: Request) -> None:
    """Raise `MethodNotAllowed` unless the request's path serves its method.

    A path that no route serves gets 404 `NotFound`, whatever the method.
    """
    path = request.url.path
    served = await served_methods(request)
    if not served:
        raise NotFound(f"no route serves {path}")
    if request.method not in served:
        raise MethodNotAllowed(request.method, path, allowed=sorted(served))


def _token(request: Request, query_token: str | None) -> str | None:
    """Return the bearer token of the header, or of the stream's query string."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized(
                "the Authorization header is not 'Bearer <token>'",
                field="authorization",
            )
        return token.strip()
    if request.url.path == STREAM_PATH:
        return query_token
    return None


def _take_query_token(request: Request) -> str | None:
    """Remove the token parameter from the query string; return its last value."""
    query = request.scope["query_string"].decode("latin-1")
    if TOKEN_QUERY_PARAMETER not in unquote_plus(query):
        return None

    pairs = parse_qsl(query, keep_blank_values=True)
    tokens = [value for name, value in pairs if name == TOKEN_QUERY_PARAMETER]
    kept = [(name, value) for name, value in pairs if name != TOKEN_QUERY_PARAMETER]
    request.scope["query_string"] = urlencode(kept).encode("latin-1")
    return tokens[-1] if tokens else None


def _reject_dot_segments(path: str) -> None:
    # A service could resolve "." and ".." after the policy matched the path,
    # so such a path names no resource here.
    if any(segment in {".", ".."} for segment in path.split("/")):
        raise NotFound(f"the path {path!r} contains '.' or '..' segments")


def _reject_empty_segments(path: str) -> None:
    # No route has a trailing slash or an empty segment, and a write to such a
    # path would otherwise get the route policy's 403 rather than 404.
    if path.startswith(f"{API_PREFIX}/") and "" in path.split("/")[1:]:
        raise NotFound(
            f"the path {path!r} ends with '/' or contains '//'; no route "
            "has an empty segment"
        )


def _client_key(request: Request, principal: Principal | None) -> str:
    if principal is not None:
        return principal.subject
    return _address(request)


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
