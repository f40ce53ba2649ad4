"""The embedded default: every service and the gateway in one process."""

import asyncio
import datetime as dt
import hashlib
import time
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from palermo.embedded import run_embedded, service_transport
from palermo_shared.auth import Role
from palermo_shared.contracts import AccountInvited, LotsDrawn
from palermo_shared.db import create_engine
from tests.support.network import free_port
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
        async with (
            httpx.AsyncClient(timeout=None) as client,
            client.stream("GET", f"{url}/api/v1/events", headers=headers) as response,
        ):
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


async def _draw_firearms(client: httpx.AsyncClient) -> None:
    """Open a phase of the Firearms Protocol alone and draw its lots."""
    response = await client.post(
        "/api/v1/draw/phases", json={"years": "III-VI", "instruments": ["firearms"]}
    )
    assert response.status_code == 201, response.text
    phase = f"/api/v1/draw/phases/{response.json()['id']}"
    seed = "links"
    commitment = {"seed_sha256": hashlib.sha256(seed.encode()).hexdigest()}
    response = await client.post(f"{phase}/seed-commitment", json=commitment)
    assert response.status_code == 201, response.text
    meeting = {
        "kind": "intersessional",
        "date": dt.datetime.now(dt.UTC).date().isoformat(),
        "states_present": ["ITA"],
    }
    response = await client.post(f"{phase}/meetings", json=meeting)
    assert response.status_code == 201, response.text
    draw = {"meeting_id": response.json()["id"], "seed": seed}
    response = await client.post(f"{phase}/draw", json=draw)
    assert response.status_code == 201, response.text


async def _email_bodies(data_dir: Path, *event_types: str) -> dict[str, str]:
    """Return the body of one e-mail of each event type, by event type.

    Waits until notify's database has an e-mail of every type.
    """
    query = text(
        "SELECT event_type, message_body FROM notification WHERE channel = 'email'"
    )
    engine = create_engine(f"sqlite+aiosqlite:///{data_dir / 'notify'}.db")
    deadline = time.monotonic() + 10
    try:
        while True:
            async with engine.connect() as connection:
                rows = (await connection.execute(query)).all()
            bodies = {event_type: body for event_type, body in rows}
            if all(event_type in bodies for event_type in event_types):
                return bodies
            assert time.monotonic() < deadline, sorted(bodies)
            await asyncio.sleep(0.1)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("public_base_url", [None, "https://palermo.example.org"])
async def test_links_name_gateway(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, public_base_url: str | None
) -> None:
    """E-mail links name the gateway's port, unless PUBLIC_BASE_URL is set."""
    monkeypatch.setenv("SMTP_PORT", str(free_port()))
    monkeypatch.delenv("ACTIVATION_URL", raising=False)
    if public_base_url is None:
        monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    else:
        monkeypatch.setenv("PUBLIC_BASE_URL", public_base_url)
    secretariat = local_token(tmp_path, "ops@unodc.example", Role.SECRETARIAT)
    port = free_port()

    async with (
        run_embedded(tmp_path, port=port) as url,
        httpx.AsyncClient(base_url=url, headers=secretariat) as client,
    ):
        person = {"name": "Ana Rossi", "role": "focal_point", "state": "ITA"}
        person["email"] = "ana@example.org"
        response = await client.post("/api/v1/notify/contacts", json=person)
        assert response.status_code == 201, response.text
        response = await client.post("/api/v1/accounts", json=person)
        assert response.status_code == 201, response.text
        await _draw_firearms(client)
        bodies = await _email_bodies(
            tmp_path, AccountInvited.event_type, LotsDrawn.event_type
        )

    assert url == f"http://127.0.0.1:{port}"
    assert f"{url}/activate#code=" in bodies[AccountInvited.event_type]
    notification_link = f"{public_base_url or url}/api/v1/notify/notifications/"
    assert notification_link in bodies[LotsDrawn.event_type]
