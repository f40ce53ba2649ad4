"""Gateway: one HTTP entry for every service, and the event stream for dashboards."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping

import httpx
from fastapi import FastAPI, Request
from httpx_aiohttp import AiohttpTransport

from palermo_gateway.api.routes import router
from palermo_gateway.events import EventStream
from palermo_gateway.proxy import Proxy
from palermo_gateway.settings import GatewaySettings
from palermo_shared.bus import Bus
from palermo_shared.errors import install_error_handlers
from palermo_shared.service import health_router
from palermo_shared.telemetry import instrument_app


def _clients(
    settings: GatewaySettings, transports: Mapping[str, httpx.AsyncBaseTransport] | None
) -> dict[str, httpx.AsyncClient]:
    timeout = httpx.Timeout(settings.upstream_timeout_seconds)
    return {
        name: httpx.AsyncClient(
            base_url=url,
            timeout=timeout,
            transport=transports[name] if transports else _transport(settings),
        )
        for name, url in settings.service_urls().items()
    }


def _transport(settings: GatewaySettings) -> httpx.AsyncBaseTransport:
    limits = httpx.Limits(
        max_connections=settings.upstream_max_connections,
        max_keepalive_connections=settings.upstream_max_connections,
    )
    if settings.upstream_transport == "aiohttp":
        return AiohttpTransport(limits=limits, trust_env=False)
    return httpx.AsyncHTTPTransport(limits=limits, trust_env=False)


async def _stream_ready(request: Request) -> bool:
    stream: EventStream = request.app.state.event_stream
    return stream.ready.is_set()


def create_app(
    settings: GatewaySettings | None = None,
    bus: Bus | None = None,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
) -> FastAPI:
    """Build the gateway; `transports` replaces the network hop (embedded mode)."""
    settings = settings or GatewaySettings()
    bus = bus or settings.build_bus()
    stream = EventStream(bus, history_size=settings.event_history_size)
    proxy = Proxy(_clients(settings, transports))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(stream.run(), name="gateway-event-stream")
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await proxy.close()

    app = FastAPI(title="Palermo gateway", lifespan=lifespan)
    app.state.settings = settings
    app.state.token_verifier = settings.build_token_verifier()
    app.state.event_stream = stream
    app.state.proxy = proxy
    install_error_handlers(app)
    app.include_router(health_router(_stream_ready))
    app.include_router(router)
    instrument_app(app)
    return app
