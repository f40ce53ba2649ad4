"""Gateway: one HTTP entry for every service, and the event stream for dashboards."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping

import httpx
from fastapi import Depends, FastAPI, Request
from httpx_aiohttp import AiohttpTransport

from palermo_gateway.accounts.install import install_account_guard
from palermo_gateway.accounts.routes import router as accounts_router
from palermo_gateway.accounts.stream_filter import BusWithoutInvitations
from palermo_gateway.api.routes import router
from palermo_gateway.audit.routes import router as audit_router
from palermo_gateway.audit.writer import AuditWriter
from palermo_gateway.dashboard.feed import DashboardFeed, reference_regional_groups
from palermo_gateway.dashboard.projection import DashboardProjection
from palermo_gateway.dashboard.routes import router as dashboard_router
from palermo_gateway.database import build_runtime
from palermo_gateway.events import EventStream
from palermo_gateway.middleware import install_middleware
from palermo_gateway.openapi import ApiDocument
from palermo_gateway.proxy import Proxy
from palermo_gateway.settings import GatewaySettings
from palermo_shared.bus import Bus
from palermo_shared.errors import install_error_handlers
from palermo_shared.query import reject_unknown_query_parameters
from palermo_shared.serve import CALLER_KEEP_ALIVE_SECONDS
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


def upstream_limits(settings: GatewaySettings) -> httpx.Limits:
    """Return the pool limits of the gateway's connections to each service."""
    return httpx.Limits(
        max_connections=settings.upstream_max_connections,
        max_keepalive_connections=settings.upstream_max_connections,
        keepalive_expiry=CALLER_KEEP_ALIVE_SECONDS,
    )


def _transport(settings: GatewaySettings) -> httpx.AsyncBaseTransport:
    limits = upstream_limits(settings)
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
    runtime = build_runtime(settings, bus)
    audit_writer = AuditWriter(runtime)
    # Invitations carry a live activation link: the stream never shows them.
    stream = EventStream(
        BusWithoutInvitations(bus), history_size=settings.event_history_size
    )
    proxy = Proxy(_clients(settings, transports))
    dashboard = DashboardProjection(reference_regional_groups())
    dashboard_feed = DashboardFeed(bus, dashboard)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        audit_writer.start()
        task = asyncio.create_task(stream.run(), name="gateway-event-stream")
        feeding = asyncio.create_task(dashboard_feed.run(), name="gateway-dashboard")
        try:
            yield
        finally:
            task.cancel()
            feeding.cancel()
            await asyncio.gather(task, feeding, return_exceptions=True)
            await proxy.close()
            await audit_writer.stop()
            await runtime.stop()

    # The whole API's document is served at /api/v1/openapi.json instead. No
    # redirect of a path without its trailing slash: behind a TLS proxy, the
    # Location would name http and the gateway's own host.
    app = FastAPI(
        title="Palermo gateway",
        lifespan=lifespan,
        openapi_url=None,
        redirect_slashes=False,
        dependencies=[Depends(reject_unknown_query_parameters)],
    )
    app.state.settings = settings
    app.state.token_verifier = settings.build_token_verifier()
    app.state.event_stream = stream
    app.state.proxy = proxy
    app.state.api_document = ApiDocument(proxy, list(settings.service_urls()))
    app.state.runtime = runtime
    app.state.dashboard = dashboard
    install_error_handlers(app)
    install_account_guard(app, runtime, settings)
    install_middleware(app, settings, audit_writer)
    app.include_router(health_router(_stream_ready))
    app.include_router(dashboard_router)
    app.include_router(accounts_router)
    app.include_router(audit_router)
    app.include_router(router)
    instrument_app(app)
    return app
