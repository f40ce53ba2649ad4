"""The gateway's middleware stack, outermost first.

1. HEAD served as GET without the body, so every step below sees a GET;
2. request id, so every response and log line of the request carries it;
3. security headers, on every response including errors and preflights;
4. audit trail, which records state-changing requests, refused ones too;
5. CORS, which responds to browser preflight requests before they need a token;
6. body size limit;
7. authentication, rate limit and authorization.
"""

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from palermo_gateway.access import AccessMiddleware
from palermo_gateway.audit.middleware import AuditMiddleware
from palermo_gateway.audit.writer import AuditWriter
from palermo_gateway.headers import SecurityHeadersMiddleware
from palermo_gateway.limits import RequestSizeLimitMiddleware, TokenBucketLimiter
from palermo_gateway.settings import GatewaySettings
from palermo_shared.head import HeadMiddleware
from palermo_shared.request_id import RequestIdMiddleware
from palermo_shared.text import PathControlCharacterMiddleware


def install_middleware(
    app: FastAPI, settings: GatewaySettings, audit_writer: AuditWriter
) -> None:
    """Add the gateway's middleware to `app`, innermost first."""
    limiter = TokenBucketLimiter(
        rate=settings.rate_limit_per_second, burst=settings.rate_limit_burst
    )
    app.add_middleware(AccessMiddleware, limiter=limiter)
    app.add_middleware(
        RequestSizeLimitMiddleware, max_bytes=settings.max_request_body_bytes
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_allowed_origins,
        allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "If-Match", "X-Request-ID"],
        expose_headers=["ETag", "Location", "Retry-After", "X-Request-ID"],
    )
    app.add_middleware(AuditMiddleware, writer=audit_writer)
    # Outside the audit log, which stores the path.
    app.add_middleware(PathControlCharacterMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(HeadMiddleware)
    app.state.rate_limiter = limiter
