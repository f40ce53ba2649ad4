"""The embedded default: every service and the gateway in one process.

The services run exactly the code they run as separate processes; only
the plumbing differs: one in-memory bus instead of Kafka, one SQLite file
per service in a data folder, and the gateway calls each service's app
in-process instead of over the network. The gateway itself is served over
real HTTP on a loopback port.
"""

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from palermo_draw.main import create_app as create_draw
from palermo_draw.settings import DrawSettings
from palermo_gateway.main import create_app as create_gateway
from palermo_gateway.settings import GatewaySettings
from palermo_notify.main import create_app as create_notify
from palermo_notify.settings import NotifySettings
from palermo_questionnaire.main import create_app as create_questionnaire
from palermo_questionnaire.settings import QuestionnaireSettings
from palermo_review.main import create_app as create_review
from palermo_review.settings import ReviewSettings
from palermo_shared.bus.memory import MemoryBus
from palermo_shared.serve import Server, server_config

logger = logging.getLogger(__name__)


def _unless_set(variable: str, value: str) -> dict[str, Any]:
    """Return settings arguments that give `variable` the value `value`.

    They are empty when the environment sets `variable`, whose value then wins.
    """
    if variable.upper() in os.environ:
        return {}
    return {variable.lower(): value}


def _service_apps(
    bus: MemoryBus, data_dir: Path, gateway_url: str
) -> dict[str, FastAPI]:
    # An empty database URL is each service's SQLite file in the data folder,
    # whatever the value of DATABASE_URL. One database for every service
    # would mix their migration histories.
    links = _unless_set("PUBLIC_BASE_URL", gateway_url)
    return {
        "draw": create_draw(DrawSettings(data_dir=data_dir, database_url=""), bus),
        "questionnaire": create_questionnaire(
            QuestionnaireSettings(data_dir=data_dir, database_url=""), bus
        ),
        "review": create_review(
            ReviewSettings(data_dir=data_dir, database_url=""), bus
        ),
        "notify": create_notify(
            NotifySettings(data_dir=data_dir, database_url="", **links), bus
        ),
    }


def service_transport(name: str, app: ASGIApp) -> httpx.ASGITransport:
    """Return the gateway's transport to a service app in this process.

    Starlette responds to an unhandled error with 500, then raises it again
    for the server to log. Behind a transport the error reached the gateway
    instead, which dropped the client's connection. Here the error is
    logged as a server logs it, and the gateway forwards the 500.
    """

    async def logging_errors(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await app(scope, receive, send)
        except Exception:
            logger.exception(
                "%s service: unhandled error in %s %s",
                name,
                scope.get("method"),
                scope.get("path"),
            )

    return httpx.ASGITransport(app=logging_errors)


class _SignalFreeServer(uvicorn.Server):
    """uvicorn's server, leaving the process's signal handlers as they are.

    uvicorn (0.55) replaces the SIGINT and SIGTERM handlers while it serves,
    stops only the server on either signal, and raises the signal again
    once the server has stopped.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def run_embedded(
    data_dir: Path, *, port: int | None = None
) -> AsyncIterator[str]:
    """Run Palermo in this process; yield the gateway's base URL.

    Signals are left to the caller. Under `asyncio.run`, SIGINT cancels the
    caller's task, the block ends and the services stop, and `asyncio.run`
    then raises `KeyboardInterrupt`.
    """
    async with _start_embedded(data_dir, port, server_class=_SignalFreeServer) as (
        url,
        _serving,
    ):
        yield url


async def serve_embedded(data_dir: Path, port: int) -> None:
    """Run Palermo in this process until the gateway's server stops.

    The server stops on SIGINT or SIGTERM, even where SIGINT was ignored
    when the process started, and the services stop after it.
    """
    async with _start_embedded(data_dir, port, server_class=Server) as (
        url,
        serving,
    ):
        logger.info("gateway at %s; press Ctrl-C to stop", url)
        await serving


@contextlib.asynccontextmanager
async def _start_embedded(
    data_dir: Path, port: int | None, *, server_class: type[uvicorn.Server]
) -> AsyncIterator[tuple[str, asyncio.Task[None]]]:
    """Start the services and the gateway's server.

    Yields the gateway's base URL and the task serving it.
    """
    if os.environ.get("DATABASE_URL"):
        logger.warning(
            "DATABASE_URL is ignored: the embedded services keep their SQLite "
            "files in %s",
            data_dir,
        )
    # The port is chosen first, because the links that e-mails, webhooks
    # and invitations carry name the gateway's URL.
    port = port or free_port()
    gateway_url = f"http://127.0.0.1:{port}"
    bus = MemoryBus()
    services = _service_apps(bus, data_dir, gateway_url)
    transports = {name: service_transport(name, app) for name, app in services.items()}
    activation = _unless_set("ACTIVATION_URL", f"{gateway_url}/activate#code={{code}}")
    gateway_settings = GatewaySettings(data_dir=data_dir, database_url="", **activation)
    gateway = create_gateway(gateway_settings, bus, transports)

    async with contextlib.AsyncExitStack() as stack:
        for app in services.values():
            await stack.enter_async_context(app.router.lifespan_context(app))
        server = server_class(server_config(gateway, host="127.0.0.1", port=port))
        serving = asyncio.create_task(server.serve())
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.05)
        logger.info("embedded Palermo serving the gateway on 127.0.0.1:%d", port)
        try:
            yield gateway_url, serving
        finally:
            # sse-starlette (3.7) finds a stopping server through its SIGTERM
            # handler, which a server that leaves signals alone never installs.
            # Open event streams would then keep the server waiting indefinitely.
            await gateway.state.event_stream.close()
            server.should_exit = True
            await serving
