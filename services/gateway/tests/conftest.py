import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from palermo_gateway.main import create_app
from palermo_gateway.settings import GatewaySettings
from palermo_shared.bus.memory import MemoryBus


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ThreadedServer:
    """A real uvicorn server on a loopback port, run in a thread."""

    def __init__(self, app: object) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None)
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


@pytest.fixture(scope="module")
def upstream() -> Iterator[ThreadedServer]:
    with ThreadedServer(upstream_app) as server:
        yield server


@pytest.fixture
def bus() -> MemoryBus:
    return MemoryBus()


@pytest.fixture
async def gateway(
    upstream: ThreadedServer, bus: MemoryBus, tmp_path: object
) -> AsyncIterator[httpx.AsyncClient]:
    """Serve the gateway on real HTTP; `review` points at a closed port."""
    settings = GatewaySettings(
        draw_url=upstream.url,
        questionnaire_url=upstream.url,
        review_url=f"http://127.0.0.1:{free_port()}",
        notify_url=upstream.url,
        upstream_timeout_seconds=0.5,
        event_history_size=5,
    )
    app = create_app(settings, bus)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None)
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", timeout=10
    ) as client:
        yield client
    server.should_exit = True
    await serving
