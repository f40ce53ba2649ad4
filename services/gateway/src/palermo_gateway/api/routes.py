"""Routes of the gateway: the proxied API and the event stream."""

from importlib.metadata import version
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from sse_starlette import EventSourceResponse, ServerSentEvent

from palermo_gateway.events import EventStream
from palermo_gateway.proxy import Proxy
from palermo_shared.asyncapi import build_document

router = APIRouter(prefix="/api/v1")
PROXIED_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


@router.get("/events", response_class=EventSourceResponse)
async def stream_events(
    request: Request,
    last_event_id: Annotated[int | None, Header(ge=0)] = None,
) -> EventSourceResponse:
    """Stream every domain event as Server-Sent Events, resumable by id."""
    stream: EventStream = request.app.state.event_stream

    async def events():  # type: ignore[no-untyped-def]
        async for event in stream.follow(last_event_id):
            yield ServerSentEvent(
                data=event.data, event=event.type, id=str(event.sequence)
            )

    return EventSourceResponse(
        events(), ping=request.app.state.settings.event_heartbeat_seconds
    )


@router.get("/events/counts")
async def event_counts(request: Request) -> dict[str, int]:
    """Return how many events of each type the gateway has seen."""
    stream: EventStream = request.app.state.event_stream
    return dict(sorted(stream.counts.items()))


@router.get("/asyncapi.json")
async def asyncapi_document() -> dict[str, Any]:
    """Return the AsyncAPI document of every event the services publish."""
    return build_document(version("palermo-shared"))


@router.api_route("/{service}/{path:path}", methods=PROXIED_METHODS)
async def forward(service: str, path: str, request: Request) -> Response:
    proxy: Proxy = request.app.state.proxy
    return await proxy.forward(service, path, request)
