"""Forwarding `/api/v1/{service}/...` to the service that owns the resource.

Upstream failures are mapped to HTTP statuses here, once: 502 when a service cannot be
reached (refused or timed-out connection) or breaks the connection, 504
when it accepted the request but did not respond in time. A failed connect
counts as unreachable because the aiohttp transport reports a refused
connection as a connect timeout.
"""

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote, quote_from_bytes

import httpx
from fastapi import Request, Response

from palermo_shared.errors import DomainError, NotFound
from palermo_shared.telemetry import inject_headers

logger = logging.getLogger(__name__)

# Hop-by-hop headers (RFC 9110, section 7.6.1) and those httpx sets itself.
_SKIPPED_REQUEST_HEADERS = frozenset(
    {
        "host",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "upgrade",
        "proxy-authorization",
        "content-length",
    }
)
_SKIPPED_RESPONSE_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "transfer-encoding",
        "content-length",
        "content-encoding",
    }
)


# The characters RFC 3986 allows in a query besides letters, digits and
# "-._~", which `quote_from_bytes` never escapes. With "%" among them, the
# client's escapes stay as sent.
_QUERY_SAFE = "!$&'()*+,;=:@/?%"


class UpstreamTimeout(DomainError):
    status_code = 504
    code = "upstream_timeout"


class UpstreamUnavailable(DomainError):
    status_code = 502
    code = "upstream_unavailable"


class Proxy:
    def __init__(self, clients: dict[str, httpx.AsyncClient]) -> None:
        self._clients = clients

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()

    async def forward(self, service: str, path: str, request: Request) -> Response:
        client = self._clients.get(service)
        if client is None:
            raise NotFound(
                f"unknown service {service!r}; expected one of "
                f"{', '.join(sorted(self._clients))}"
            )
        upstream = await self._send(
            client, service, _encoded_path(request, service, path), request
        )
        headers = {
            k: v
            for k, v in upstream.headers.items()
            if k.lower() not in _SKIPPED_RESPONSE_HEADERS
        }
        return Response(upstream.content, upstream.status_code, headers)

    async def get_json(self, service: str, path: str) -> Any:
        """Return the JSON body of a GET of `path` on `service`, or raise 502/504."""
        client = self._clients[service]
        async with _upstream_errors(service, f"GET {service}{path}"):
            response = await client.get(path)
        if response.status_code != 200:
            logger.error("GET %s%s: status %d", service, path, response.status_code)
            raise UpstreamUnavailable(
                f"the {service} service returned status {response.status_code} "
                f"for {path}"
            )
        return response.json()

    async def _send(
        self, client: httpx.AsyncClient, service: str, path: str, request: Request
    ) -> httpx.Response:
        target = f"{request.method} {service}{path}"
        # The gateway's own trace context replaces the caller's, because the
        # aiohttp transport is not instrumented and would send none.
        trace_headers = [(k.encode(), v) for k, v in inject_headers()]
        skipped = _SKIPPED_REQUEST_HEADERS | {k.decode() for k, _ in trace_headers}
        # Header values are forwarded as the bytes received, so a value outside
        # ASCII (UTF-8 in a custom header) reaches the service, which validates it.
        headers = [
            (k, v)
            for k, v in request.headers.raw
            if k.decode("latin-1").lower() not in skipped
        ] + trace_headers
        async with _upstream_errors(service, target):
            return await client.request(
                request.method,
                _with_raw_query(request, path),
                headers=headers,
                content=await request.body(),
            )


def _encoded_path(request: Request, service: str, path: str) -> str:
    """Return the path to send upstream, percent-encoded as the client sent it.

    The decoded `path` may hold characters that are invalid in a URL, such as
    control characters a client sent percent-encoded.
    """
    raw_path: bytes = request.scope.get("raw_path") or b""
    prefix = f"/api/v1/{service}/".encode()
    if raw_path.startswith(prefix):
        return "/" + raw_path.removeprefix(prefix).decode("latin-1")
    return "/" + quote(path, safe="/")


def _with_raw_query(request: Request, path: str) -> str:
    """Return `path` with the client's query string, its escapes and order kept.

    Decoding and encoding the parameters again would reorder repeated names
    and replace bytes that are not UTF-8.
    """
    query: bytes = request.scope.get("query_string") or b""
    if not query:
        return path
    # Escapes stay as sent, and a raw byte outside ASCII is escaped as itself.
    return f"{path}?{quote_from_bytes(query, safe=_QUERY_SAFE)}"


@contextlib.asynccontextmanager
async def _upstream_errors(service: str, target: str) -> AsyncIterator[None]:
    """Map the transport errors of a call to `service` to 502 and 504."""
    try:
        yield
    except (httpx.ConnectError, httpx.ConnectTimeout) as error:
        logger.error("%s: cannot connect: %r", target, error)
        raise UpstreamUnavailable(f"the {service} service is unavailable") from error
    except httpx.TimeoutException as error:
        logger.warning("%s: timed out: %r", target, error)
        raise UpstreamTimeout(
            f"the {service} service did not respond in time"
        ) from error
    except httpx.TransportError as error:
        logger.error("%s: failed: %r", target, error)
        raise UpstreamUnavailable(f"the {service} service is unavailable") from error
