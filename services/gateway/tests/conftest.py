import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from palermo_gateway.main import create_app
from palermo_gateway.settings import GatewaySettings
from palermo_shared.auth import LocalIssuer, Role
from palermo_shared.bus.memory import MemoryBus
from palermo_shared.serve import server_config


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ThreadedServer:
    """A real uvicorn server on a loopback port, run in a thread."""

    def __init__(self, app: Starlette) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = server_config(app, host="127.0.0.1", port=self.port)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> "ThreadedServer":
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise TimeoutError(f"server on port {self.port} did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


async def _echo(request: Request) -> JSONResponse:
    return JSONResponse(
        {
            "method": request.method,
            "path": request.url.path,
            "query": str(request.url.query),
            "body": (await request.body()).decode(),
            "x_custom": request.headers.get("x-custom"),
            "request_id": request.headers.get("x-request-id"),
        },
        status_code=int(request.query_params.get("status", "200")),
        headers={"x-upstream": "yes"},
    )


async def _slow(request: Request) -> JSONResponse:
    await asyncio.sleep(float(request.query_params.get("seconds", "2")))
    return JSONResponse({"slow": True})


upstream_app = Starlette(
    routes=[
        Route("/slow", _slow),
        Route("/{path:path}", _echo, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
    ]
)

SERVICE_NAMES = ("draw", "questionnaire", "review", "notify")


@pytest.fixture(scope="module")
def upstream() -> Iterator[ThreadedServer]:
    with ThreadedServer(upstream_app) as server:
        yield server


@pytest.fixture
def bus() -> MemoryBus:
    return MemoryBus()


@pytest.fixture
def tokens(tmp_path: Path) -> LocalIssuer:
    """Issue tokens with the key that the gateway of `tmp_path` verifies."""
    return LocalIssuer.from_key_file(tmp_path / "signing-key.pem")


@pytest.fixture
async def gateway(
    upstream: ThreadedServer, bus: MemoryBus, tmp_path: Path, tokens: LocalIssuer
) -> AsyncIterator[httpx.AsyncClient]:
    """Serve the gateway on real HTTP; `review` points at a closed port.

    The client sends a Secretariat token unless a request replaces it.
    """
    settings = GatewaySettings(
        data_dir=tmp_path,
        draw_url=upstream.url,
        questionnaire_url=upstream.url,
        review_url=f"http://127.0.0.1:{free_port()}",
        notify_url=upstream.url,
        upstream_timeout_seconds=0.5,
        event_history_size=5,
    )
    app = create_app(settings, bus)
    port = free_port()
    server = uvicorn.Server(server_config(app, host="127.0.0.1", port=port))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}",
        timeout=10,
        headers=tokens.headers(Role.SECRETARIAT),
    ) as client:
        yield client
    server.should_exit = True
    await serving


ServeGateway = Callable[..., contextlib.AbstractAsyncContextManager[str]]


@pytest.fixture
def serve_gateway(
    upstream: ThreadedServer, bus: MemoryBus, tmp_path: Path
) -> ServeGateway:
    """Return a function that serves a gateway with some settings replaced.

    Every service points at the echo server unless replaced; the function's
    context yields the gateway's base URL.
    """

    @contextlib.asynccontextmanager
    async def serve(**replaced: Any) -> AsyncIterator[str]:
        defaults: dict[str, Any] = {
            f"{name}_url": upstream.url for name in SERVICE_NAMES
        }
        settings = GatewaySettings(**(defaults | {"data_dir": tmp_path} | replaced))
        port = free_port()
        server = uvicorn.Server(
            server_config(create_app(settings, bus), host="127.0.0.1", port=port)
        )
        serving = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.02)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            await serving

    return serve
