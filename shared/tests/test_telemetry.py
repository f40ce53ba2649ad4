"""Trace context in message headers, and request spans."""

import httpx
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)

from palermo_shared.telemetry import extract_context, inject_headers, instrument_app

# A provider of the test's own, because the global one can be set only once
# per process.
tracer = TracerProvider().get_tracer(__name__)


def carried_span_id(headers: tuple[tuple[str, bytes], ...]) -> int:
    span = trace.get_current_span(extract_context(headers))
    return span.get_span_context().span_id


def test_headers_follow_the_current_span() -> None:
    with tracer.start_as_current_span("first") as first:
        in_first = inject_headers()
        again_in_first = inject_headers()
        with tracer.start_as_current_span("nested") as nested:
            in_nested = inject_headers()
        back_in_first = inject_headers()
    with tracer.start_as_current_span("second") as second:
        in_second = inject_headers()
    outside = inject_headers()

    first_id = first.get_span_context().span_id
    assert carried_span_id(in_first) == first_id
    assert carried_span_id(again_in_first) == first_id
    assert carried_span_id(in_nested) == nested.get_span_context().span_id
    assert carried_span_id(back_in_first) == first_id
    assert carried_span_id(in_second) == second.get_span_context().span_id
    assert outside == ()


async def test_request_span_leaves_out_access_token() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = FastAPI()

    @app.get("/events")
    async def events() -> dict[str, str]:
        return {}

    instrument_app(app, tracer_provider=provider)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/events?after=5&access_token=secret.token.value")

    assert response.status_code == 200
    [server_span] = [
        s for s in exporter.get_finished_spans() if s.kind.name == "SERVER"
    ]
    url = server_span.attributes["http.url"]
    assert url == "http://test/events?after=5&access_token=REDACTED"
    recorded = [
        str(value)
        for s in exporter.get_finished_spans()
        for value in s.attributes.values()
    ]
    assert not any("secret.token.value" in value for value in recorded)
