"""The embedded default: every service and the gateway in one process."""

import asyncio
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from palermo.embedded import run_embedded, service_transport
from palermo_shared.auth import Role
from tests.support.tokens import local_token

SERVICES = ("draw", "questionnaire", "review", "notify", "gateway")


# The embedded default keeps each service's data in a SQLite file. Under
# --database=postgresql the test run replaces every SQLite file with a
# PostgreSQL database, so no file appears, and a DATABASE_URL naming a SQLite
# file would be replaced the same way and go unnoticed.
@pytest.mark.sqlite_only
async def test_database_url_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    shared = tmp_path / "shared.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{shared}")
    data_dir = tmp_path / "data"

    with caplog.at_level("WARNING"):
        async with run_embedded(data_dir) as url, httpx.AsyncClient() as client:
            response = await client.get(f"{url}/api/v1/draw/healthz/live")

    assert response.status_code == 200
    assert not shared.exists()
    for service in SERVICES:
        assert (data_dir / f"{service}.db").exists(), service
    assert "DATABASE_URL is ignored" in caplog.text


async def test_service_error_answered_with_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = FastAPI()

    @app.get("/fail")
    async def fail() -> None:
        raise RuntimeError("disk full")

    transport = service_transport("draw", app)
    async with httpx.AsyncClient(transport=transport, base_url="http://draw") as client:
        with caplog.at_level("ERROR"):
            response = await client.get("/fail")

    assert response.status_code == 500
    assert "draw service: unhandled error in GET /fail" in caplog.text
    assert "RuntimeError: disk full" in caplog.text


async def test_stop_ends_open_event_streams(tmp_path: Path) -> None:
    """The server stops although a client keeps reading the event stream."""
    data_dir = tmp_path / "data"
    headers = local_token(data_dir, "dashboard@example.org", Role.SECRETARIAT)
    opened = asyncio.Event()

    async def read_until_closed(url: str) -> int:
        async with httpx.AsyncClient(timeout=None) as client:
            async with client.stream(
                "GET", f"{url}/api/v1/events", headers=headers
            ) as response:
                opened.set()
                async for _ in response.aiter_bytes():
                    pass
        return response.status_code

    async def stop_while_streaming() -> asyncio.Task[int]:
        async with run_embedded(data_dir) as url:
            reader = asyncio.create_task(read_until_closed(url))
            await asyncio.wait_for(opened.wait(), 10)
        return reader

    reader = await asyncio.wait_for(stop_while_streaming(), 30)
    status = await asyncio.wait_for(reader, 10)

    assert status == 200
