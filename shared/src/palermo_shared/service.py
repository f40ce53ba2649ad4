"""The parts every service process runs besides its routes.

`ServiceRuntime` owns the database engine, the outbox relay and the event
consumers of one service. `create_service_app` wraps a service's routers in
a FastAPI app whose lifespan starts and stops them, with separate liveness
and readiness probes.

Shutdown order: consumers finish their current batch and commit offsets,
then the relay publishes what is left in the outbox (bounded by a deadline),
then connections close.
"""

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_shared.bus import Bus, PublishError
from palermo_shared.bus.kafka import KafkaBus
from palermo_shared.db import (
    DatabaseUnreachable,
    create_engine,
    describe_database,
    session_factory,
)
from palermo_shared.errors import install_error_handlers
from palermo_shared.events import DOMAIN_TOPICS
from palermo_shared.head import HeadMiddleware
from palermo_shared.inbox import EventConsumer, Handler, ProcessedEvent
from palermo_shared.migrations import upgrade_to_head
from palermo_shared.outbox import OutboxMessage, OutboxRelay
from palermo_shared.preload import Preloader
from palermo_shared.query import reject_unknown_query_parameters
from palermo_shared.request_id import RequestIdMiddleware
from palermo_shared.retry import retry_until_done
from palermo_shared.settings import ServiceSettings, sqlite_file
from palermo_shared.telemetry import instrument_app
from palermo_shared.text import PathControlCharacterMiddleware

logger = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 10.0


@dataclass
class ConsumerSpec:
    """Event types a service consumes, mapped to their handlers.

    `preloaders` load, once per batch, the rows that the handlers of an
    event type read (see `palermo_shared.preload`).
    """

    handlers: Mapping[str, Handler]
    topics: Sequence[str] = DOMAIN_TOPICS
    preloaders: Mapping[str, Preloader] = field(default_factory=dict)


@dataclass
class ServiceRuntime:
    settings: ServiceSettings
    bus: Bus
    models: Sequence[type[SQLModel]]
    consumer_spec: ConsumerSpec | None = None
    migrations: Path = field(kw_only=True)
    consumers: list[EventConsumer] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.name = self.settings.service_name
        self.engine = create_engine(self.settings.database_url)
        self.sessions = session_factory(self.engine)
        self.publisher = self.bus.publisher()
        self.relay = OutboxRelay(
            self.sessions,
            self.publisher,
            service=self.name,
            publish_timeout=self.settings.publish_timeout_seconds,
        )
        if self.consumer_spec is not None:
            self.consumers.append(
                EventConsumer(
                    self.name,
                    bus=self.bus,
                    topics=self.consumer_spec.topics,
                    handlers=self.consumer_spec.handlers,
                    preloaders=self.consumer_spec.preloaders,
                    sessions=self.sessions,
                    dead_letters=self.publisher,
                    after_commit=self.relay.wake,
                    publish_timeout=self.settings.publish_timeout_seconds,
                )
            )
        self.bus_ready = asyncio.Event()
        self._relay_task: asyncio.Task[None] | None = None
        self._consumer_tasks: list[asyncio.Task[None]] = []

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """Yield a session in a write transaction; wake the relay after commit."""
        async with self.sessions() as session, session.begin():
            yield session
        self.relay.wake()

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """Yield a session for reads."""
        async with self.sessions() as session:
            yield session

    async def start(self) -> None:
        self._ensure_sqlite_directory()
        models = [*base_models(), *self.models]
        await upgrade_to_head(self.engine, self.migrations, models)
        # What exists now (modules, schemas, mapped classes) lives as long as
        # the process. Frozen, it is left out of later garbage collections,
        # whose full passes took about a quarter of a busy consumer's time.
        # Garbage is collected first so that none of it is frozen.
        gc.collect()
        gc.freeze()
        self._relay_task = asyncio.create_task(self._run_bus(), name=f"{self.name}-bus")
        logger.info(
            "service %s started: %s, %s",
            self.name,
            _describe_bus(self.bus),
            _describe_database(self.settings.database_url),
        )

    async def stop(self) -> None:
        await self._stop_consumers()
        await self._stop_relay()
        await self._flush_outbox()
        await self.publisher.stop()
        await self.engine.dispose()
        logger.info("service %s stopped", self.name)

    async def ready(self) -> bool:
        try:
            async with self.sessions() as session:
                await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        except DatabaseUnreachable as error:
            # Expected while the server is down, so one line without a traceback.
            logger.warning("service %s: not ready: %s", self.name, error)
            return False
        except Exception:
            logger.warning(
                "service %s: database not reachable", self.name, exc_info=True
            )
            return False
        return all(consumer.ready.is_set() for consumer in self.consumers)

    async def _run_bus(self) -> None:
        await self._prepare_bus()
        for consumer in self.consumers:
            self._consumer_tasks.append(
                asyncio.create_task(consumer.run(), name=f"{self.name}-consumer")
            )
        await self.relay.run()

    async def _prepare_bus(self) -> None:
        await retry_until_done(
            self.bus.prepare, description=f"service {self.name}: preparing the bus"
        )
        self.bus_ready.set()

    async def _stop_consumers(self) -> None:
        """Let consumers finish their batch and commit; cancel them after the grace."""
        for consumer in self.consumers:
            consumer.request_stop()
        if not self._consumer_tasks:
            return
        _done, pending = await asyncio.wait(
            self._consumer_tasks, timeout=SHUTDOWN_GRACE_SECONDS
        )
        for task in pending:
            task.cancel()
        await asyncio.gather(*self._consumer_tasks, return_exceptions=True)
        self._consumer_tasks.clear()

    async def _stop_relay(self) -> None:
        """Let the relay finish its batch; cancel it after the grace.

        Before the bus is ready the task only retries connecting, so it is
        cancelled at once.
        """
        if self._relay_task is None:
            return
        self.relay.request_stop()
        if self.bus_ready.is_set():
            await asyncio.wait({self._relay_task}, timeout=SHUTDOWN_GRACE_SECONDS)
        self._relay_task.cancel()
        await asyncio.gather(self._relay_task, return_exceptions=True)

    async def _flush_outbox(self) -> None:
        if not self.bus_ready.is_set():
            return
        try:
            async with asyncio.timeout(SHUTDOWN_GRACE_SECONDS):
                await self.relay.publish_pending()
        except (PublishError, TimeoutError, DatabaseUnreachable, DBAPIError) as error:
            # A database error also ends only the flush, and the rows stay pending.
            reason = error.orig if isinstance(error, DBAPIError) else error
            logger.warning(
                "service %s: outbox not flushed at shutdown, "
                "pending events go out at next start: %r",
                self.name,
                reason,
            )

    def _ensure_sqlite_directory(self) -> None:
        database = sqlite_file(self.settings.database_url)
        if database is not None:
            database.parent.mkdir(parents=True, exist_ok=True)


def base_models() -> list[type[SQLModel]]:
    """Return the tables every service has: the outbox and the inbox."""
    return [OutboxMessage, ProcessedEvent]


def runtime_of(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


def create_service_app(
    runtime: ServiceRuntime, routers: Sequence[APIRouter], *, title: str
) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    # No redirect of a path with a trailing slash: behind the gateway, its
    # Location would name the service's own address.
    app = FastAPI(
        title=title,
        lifespan=lifespan,
        redirect_slashes=False,
        dependencies=[Depends(reject_unknown_query_parameters)],
    )
    app.state.runtime = runtime
    app.state.token_verifier = runtime.settings.build_token_verifier()
    install_error_handlers(app)
    app.add_middleware(PathControlCharacterMiddleware)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(HeadMiddleware)
    app.include_router(health_router(_runtime_ready))
    for router in routers:
        app.include_router(router)
    instrument_app(app)
    return app


def _describe_bus(bus: Bus) -> str:
    if isinstance(bus, KafkaBus):
        return f"Kafka at {bus.bootstrap_servers}"
    return "in-memory bus"


def _describe_database(database_url: str) -> str:
    """Return the SQLite file, or the database, host and port, without the password."""
    database = sqlite_file(database_url)
    if database is not None:
        return f"SQLite file {database}"
    return describe_database(make_url(database_url))


def health_router(is_ready: Callable[[Request], Awaitable[bool]]) -> APIRouter:
    """Return separate liveness and readiness probes.

    Liveness only reports that the process serves HTTP, so an orchestrator does not
    restart a service that waits for its database or broker. Readiness reports
    whether it can do its work.
    """
    router = APIRouter(prefix="/healthz", tags=["health"])

    @router.get("/live")
    async def live() -> dict[str, str]:
        return {"status": "alive"}

    @router.get("/ready")
    async def ready(request: Request) -> JSONResponse:
        if await is_ready(request):
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "not ready"}, status_code=503)

    return router


async def _runtime_ready(request: Request) -> bool:
    return await runtime_of(request).ready()
