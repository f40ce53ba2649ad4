"""One request through the gateway is one trace, across HTTP and the bus.

The gateway and the draw, questionnaire and review services run in this
process on one `KafkaBus` (Tansu), with spans kept in memory. Opening a
phase through the gateway makes the draw service publish
`ReviewPhaseOpened`, which the questionnaire service consumes. The
gateway's request span, the draw service's request span and the
questionnaire consumer's `palermo.draw process` span must share one trace
id, with the gateway's span as its root.

The test runs once per transport from the gateway to the services: httpx
over loopback HTTP, aiohttp over loopback HTTP (the gateway's default), and
in-process ASGI (the embedded runner). With ASGI the trace is carried by
the current context, not by headers. The aiohttp transport is not
instrumented, so the proxy writes `traceparent` itself.

`configure_tracing` sets the process's tracer provider once, so the spans
are collected by a module-scoped fixture.
"""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.utils import suppress_http_instrumentation
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)

from palermo_draw.main import create_app as create_draw
from palermo_draw.settings import DrawSettings
from palermo_gateway.main import create_app as create_gateway
from palermo_gateway.settings import GatewaySettings
from palermo_questionnaire.main import create_app as create_questionnaire
from palermo_questionnaire.settings import QuestionnaireSettings
from palermo_review.main import create_app as create_review
from palermo_review.settings import ReviewSettings
from palermo_shared.auth import LocalIssuer, Role
from palermo_shared.bus.kafka import KafkaBus
from palermo_shared.events import ALL_TOPICS
from palermo_shared.serve import server_config
from palermo_shared.telemetry import configure_tracing
from tests.e2e.processes import free_port
from tests.faults.conftest import FreezableBroker

SERVICE_NAME = "palermo-faults-trace"
GATEWAY_ROUTE = "/api/v1/{service}/{path:path}"


@pytest.fixture(scope="module")
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    configure_tracing(SERVICE_NAME, otlp_endpoint=None, exporter=exporter)
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        pytest.fail("configure_tracing installed no SDK tracer provider")
    if provider.resource.attributes.get("service.name") != SERVICE_NAME:
        pytest.fail(
            "another tracer provider was set earlier in this process; "
            "run this module in a pytest process of its own"
        )
    yield exporter
    # Later tests in this process must not keep filling the exporter.
    HTTPXClientInstrumentor().uninstrument()
    provider.shutdown()


@contextlib.asynccontextmanager
async def _served(app: FastAPI) -> AsyncIterator[str]:
    """Serve `app` over HTTP on a free loopback port; yield its base URL."""
    port = free_port()
    server = uvicorn.Server(server_config(app, host="127.0.0.1", port=port))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


async def _wait_ready(
    client: httpx.AsyncClient, path: str, *, timeout: float = 60.0
) -> None:
    deadline = time.monotonic() + timeout
    while (await client.get(path)).status_code != 200:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} not ready after {timeout:.0f}s")
        await asyncio.sleep(0.2)


async def _start_services(
    stack: contextlib.AsyncExitStack, services: dict[str, FastAPI], upstream: str
) -> tuple[dict[str, str], dict[str, httpx.AsyncBaseTransport] | None]:
    """Start the services; return their URLs and, for "asgi", their transports.

    "asgi" calls each app in-process, as the embedded runner does; the other
    transports reach it over HTTP.
    """
    if upstream != "asgi":
        urls = {
            name: await stack.enter_async_context(_served(app))
            for name, app in services.items()
        }
        return urls, None
    for app in services.values():
        await stack.enter_async_context(app.router.lifespan_context(app))
    transports: dict[str, httpx.AsyncBaseTransport] = {
        name: httpx.ASGITransport(app=app) for name, app in services.items()
    }
    # The gateway wants a transport per service; notify is never called here.
    transports["notify"] = httpx.AsyncHTTPTransport()
    return {name: f"http://{name}" for name in services}, transports


@pytest.fixture(
    params=[
        "httpx",
        "aiohttp",
        "asgi",
    ]
)
async def gateway_url(
    request: pytest.FixtureRequest,
    spans: InMemorySpanExporter,
    broker: FreezableBroker,
    tmp_path: Path,
) -> AsyncIterator[str]:
    """Run the gateway and three services on one Kafka bus; yield the gateway URL.

    The parameter is the gateway's transport to the services.
    """
    bus = KafkaBus(
        broker.bootstrap, client_id="palermo-faults", topics=ALL_TOPICS, partitions=3
    )
    common: dict[str, Any] = {
        "data_dir": tmp_path,
        "bus_transport": "kafka",
        "kafka_bootstrap_servers": broker.bootstrap,
        "kafka_topic_partitions": 3,
    }
    services = {
        "draw": create_draw(DrawSettings(**common), bus),
        "questionnaire": create_questionnaire(QuestionnaireSettings(**common), bus),
        "review": create_review(ReviewSettings(**common), bus),
    }
    async with contextlib.AsyncExitStack() as stack:
        urls, transports = await _start_services(stack, services, request.param)
        settings = GatewaySettings(
            **common,
            upstream_transport="aiohttp" if request.param == "aiohttp" else "httpx",
            **{f"{name}_url": url for name, url in urls.items()},
        )
        gateway = await stack.enter_async_context(
            _served(create_gateway(settings, bus, transports))
        )
        secretariat = _secretariat(tmp_path)
        async with httpx.AsyncClient(
            base_url=gateway, headers=secretariat, timeout=10
        ) as client:
            for name in services:
                await _wait_ready(client, f"/api/v1/{name}/healthz/ready")
            await _wait_ready(client, "/healthz/ready")
        spans.clear()
        yield gateway


def _secretariat(data_dir: Path) -> dict[str, str]:
    """Return the Secretariat's header for services using `data_dir`."""
    tokens = LocalIssuer.from_key_file(data_dir / "signing-key.pem")
    return tokens.headers(Role.SECRETARIAT)


def _consumer_span(
    spans: InMemorySpanExporter, group: str, *, timeout: float = 30.0
) -> ReadableSpan | None:
    """Wait for the span of `group` processing a `palermo.draw` event."""
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        provider.force_flush()
        for span in spans.get_finished_spans():
            attributes = span.attributes or {}
            if (
                span.name == "palermo.draw process"
                and attributes.get("messaging.consumer.group.name") == group
            ):
                return span
        time.sleep(0.2)
    return None


def _request_span(spans: InMemorySpanExporter, name: str) -> ReadableSpan:
    """Return the one span of the request named `name` ("POST /phases").

    It is a server span when the request came over HTTP, and an internal
    one when an app called in-process already had a span running.
    """
    finished = spans.get_finished_spans()
    matches = [s for s in finished if s.name == name]
    names = sorted(s.name for s in finished)
    assert len(matches) == 1, f"{len(matches)} spans named {name} in {names}"
    return matches[0]


def _trace_id(span: ReadableSpan) -> str:
    assert span.context is not None
    return format(span.context.trace_id, "032x")


@pytest.mark.timeout(180)
async def test_phase_opening_is_one_trace(
    gateway_url: str, spans: InMemorySpanExporter, tmp_path: Path
) -> None:
    # The test's own request carries no trace context, so the trace must
    # start at the gateway.
    with suppress_http_instrumentation():
        async with httpx.AsyncClient(
            base_url=gateway_url, headers=_secretariat(tmp_path), timeout=30
        ) as client:
            opened = await client.post("/api/v1/draw/phases", json={"years": "III-VI"})

    consumed = await asyncio.to_thread(_consumer_span, spans, "questionnaire")
    gateway = _request_span(spans, f"POST {GATEWAY_ROUTE}")
    draw = _request_span(spans, "POST /phases")

    assert opened.status_code == 201, opened.text
    assert consumed is not None
    assert gateway.parent is None
    assert _trace_id(draw) == _trace_id(gateway)
    assert _trace_id(consumed) == _trace_id(gateway)
