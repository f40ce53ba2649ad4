"""Routes of the gateway: the proxied API and the event stream."""

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator
from importlib.metadata import version
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from sse_starlette import EventSourceResponse, ServerSentEvent

from palermo_gateway.errors import error_response
from palermo_gateway.events import EventStream, StreamedEvent
from palermo_gateway.methods import served_methods
from palermo_gateway.openapi import ApiDocument
from palermo_gateway.policy import ROUTED_METHODS, MethodNotAllowed
from palermo_gateway.proxy import Proxy
from palermo_shared.asyncapi import build_document
from palermo_shared.auth import Caller, Principal
from palermo_shared.query import accepts_any_query

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1")
# HEAD reaches the routes as a GET.
PROXIED_METHODS = sorted(ROUTED_METHODS - {"HEAD"})


@router.get("/events", response_class=EventSourceResponse)
async def stream_events(
    request: Request,
    caller: Caller,
    last_event_id: Annotated[int | None, Header(ge=0)] = None,
    history: Annotated[
        bool,
        Query(
            description="Whether a client without Last-Event-ID first receives "
            "the events the gateway keeps; false starts with the next new event"
        ),
    ] = True,
    # Read and removed by the access middleware; declared for the OpenAPI
    # document only.
    access_token: Annotated[
        str | None,
        Query(
            description="The bearer token, for browsers' EventSource, which "
            "cannot send an Authorization header"
        ),
    ] = None,
) -> EventSourceResponse:
    """Stream the domain events the caller may see as Server-Sent Events.

    The stream is resumable by id: ids are the gateway's sequence numbers,
    shared by every caller. A client that only needs new events, such as a
    page that loads its figures separately, passes `history=false`.
    """
    stream: EventStream = request.app.state.event_stream
    if last_event_id is None and not history:
        last_event_id = stream.newest_sequence

    async def events() -> AsyncIterator[ServerSentEvent]:
        followed = stream.follow(last_event_id, caller)
        try:
            while (event := await _next_before_expiry(followed, caller)) is not None:
                yield ServerSentEvent(
                    data=event.data, event=event.type, id=str(event.sequence)
                )
        finally:
            await followed.aclose()

    return EventSourceResponse(
        events(), ping=request.app.state.settings.event_heartbeat_seconds
    )


async def _next_before_expiry(
    followed: AsyncGenerator[StreamedEvent, None], caller: Principal
) -> StreamedEvent | None:
    """Return the next event, or None once the caller's token has expired or
    the gateway is stopping.

    The stream then ends, and the client reconnects with a valid token.
    Only the wait for the event is timed: a timeout around the yield of a
    generator could cancel its consumer instead.
    """
    remaining = None
    if caller.expires_at is not None:
        remaining = max(caller.expires_at - time.time(), 0)
    try:
        async with asyncio.timeout(remaining):
            return await anext(followed)
    except TimeoutError:
        logger.info("event stream of %s ended: its token expired", caller.subject)
        return None
    except StopAsyncIteration:
        logger.info("event stream of %s ended: the gateway is stopping", caller.subject)
        return None


@router.get("/events/counts")
async def event_counts(request: Request) -> dict[str, int]:
    """Return how many events of each type the gateway has seen."""
    stream: EventStream = request.app.state.event_stream
    return dict(sorted(stream.counts.items()))


@router.get("/asyncapi.json")
async def asyncapi_document() -> dict[str, Any]:
    """Return the AsyncAPI document of every event the services publish."""
    return build_document(version("palermo-shared"))


@router.get("/openapi.json")
async def openapi_document(request: Request) -> dict[str, Any]:
    """Return the OpenAPI document of the gateway and every service behind it."""
    document: ApiDocument = request.app.state.api_document
    return await document.get(request.app)


@router.api_route(
    "/{service}/{path:path}", methods=PROXIED_METHODS, include_in_schema=False
)
@accepts_any_query
async def forward(service: str, path: str, request: Request) -> Response:
    # The gateway's own routes come first, so a path of theirs reaches this
    # route only with a method they do not serve.
    if service not in request.app.state.settings.service_urls():
        served = await served_methods(request)
        if served:
            error = MethodNotAllowed(
                request.method, request.url.path, allowed=sorted(served)
            )
            return await error_response(request.scope, error)
    proxy: Proxy = request.app.state.proxy
    return await proxy.forward(service, path, request)
