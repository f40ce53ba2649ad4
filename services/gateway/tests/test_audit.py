"""The audit log through the real gateway: requests, bus events and the chain."""

import asyncio
import contextlib
import datetime as dt
import socket
import sqlite3
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from palermo_gateway.audit.chain import entry_sha256, verify_database
from palermo_gateway.audit.recorder import request_entry
from palermo_gateway.audit.tables import AuditEntry
from palermo_gateway.audit.writer import AuditWriter
from palermo_gateway.database import build_runtime
from palermo_gateway.main import create_app
from palermo_gateway.settings import GatewaySettings
from palermo_shared.auth import LocalIssuer, Role
from palermo_shared.bus import Record
from palermo_shared.bus.memory import MemoryBus
from palermo_shared.contracts import AccountEnded
from palermo_shared.db import create_engine, session_factory
from palermo_shared.events import encode, new_event, topic_of
from palermo_shared.serve import server_config

PALERMO = Path(sys.executable).parent / "palermo"


def database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'gateway'}.db"


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str
    stderr: str


async def palermo(*args: str) -> Completed:
    """Run the `palermo` command and wait for it to exit."""
    process = await asyncio.create_subprocess_exec(
        PALERMO,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    assert process.returncode is not None
    return Completed(process.returncode, stdout.decode(), stderr.decode())


async def entries(gateway: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await gateway.get("/api/v1/audit", params=params)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["entries"]
    return found


async def wait_for_entries(
    gateway: httpx.AsyncClient, count: int, **params: Any
) -> list[dict[str, Any]]:
    """Wait until the log contains `count` entries (written after the response)."""
    deadline = time.monotonic() + 10
    while True:
        found = await entries(gateway, limit=1000, **params)
        if len(found) >= count:
            return found
        assert time.monotonic() < deadline, found
        await asyncio.sleep(0.05)


async def write_requests(gateway: httpx.AsyncClient, count: int) -> None:
    for number in range(count):
        response = await gateway.post("/api/v1/draw/phases", json={"n": number})
        assert response.status_code == 200


async def test_write_request_recorded(gateway: httpx.AsyncClient) -> None:
    response = await gateway.post(
        "/api/v1/draw/phases", json={}, headers={"X-Request-ID": "req-42"}
    )

    [entry] = await wait_for_entries(gateway, 1, kind="request")
    assert response.status_code == 200
    assert entry["subject"] == "secretariat-un@palermo.local"
    assert entry["role"] == "secretariat"
    assert entry["state"] is None
    assert entry["method"] == "POST"
    assert entry["path"] == "/api/v1/draw/phases"
    assert entry["request_id"] == "req-42"
    assert entry["status_code"] == 200


async def test_rejected_request_recorded(gateway: httpx.AsyncClient) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url) as anonymous:
        response = await anonymous.delete("/api/v1/notify/subscriptions/s1")

    [entry] = await wait_for_entries(gateway, 1)
    assert response.status_code == 401
    assert entry["subject"] is None
    assert entry["status_code"] == 401
    assert entry["method"] == "DELETE"


async def test_long_path_truncated(gateway: httpx.AsyncClient) -> None:
    """A path too long for its column is truncated, so later entries are written."""
    long_path = "/api/v1/draw/" + "a" * 3000
    async with httpx.AsyncClient(base_url=gateway.base_url) as anonymous:
        rejected = await anonymous.post(long_path)
    await write_requests(gateway, 1)

    first, second = await wait_for_entries(gateway, 2)
    assert rejected.status_code == 401
    assert len(first["path"]) == AuditEntry.__table__.c.path.type.length
    assert first["path"].startswith(long_path[:1900])
    assert first["path"].endswith(f"...[{len(long_path)} characters]")
    assert second["path"] == "/api/v1/draw/phases"


async def test_reads_not_recorded(gateway: httpx.AsyncClient) -> None:
    await gateway.get("/api/v1/draw/phases/p1")
    await write_requests(gateway, 1)

    found = await wait_for_entries(gateway, 1)

    assert [entry["method"] for entry in found] == ["POST"]


async def test_concurrent_requests_never_fork(
    gateway: httpx.AsyncClient, tmp_path: Path
) -> None:
    async def write(number: int) -> int:
        response = await gateway.post("/api/v1/draw/phases", json={"n": number})
        return response.status_code

    statuses = await asyncio.gather(*(write(n) for n in range(60)))
    found = await wait_for_entries(gateway, 60)
    report = await verify_database(database_url(tmp_path))

    assert set(statuses) == {200}
    assert [entry["sequence"] for entry in found] == list(range(1, 61))
    assert len({entry["request_id"] for entry in found}) == 60
    assert report.broken is None
    assert report.entries == 60


async def test_bus_events_recorded(gateway: httpx.AsyncClient, bus: MemoryBus) -> None:
    envelope = new_event(
        AccountEnded(
            account_id="a1",
            role="expert",
            state="ITA",
            ended_by="secretariat-un@palermo.local",
            reason="ended",
            ended_at=dt.datetime.now(dt.UTC),
        ),
        source="/palermo/test",
        subject="account/a1",
    )
    await bus.append(
        [Record(topic=topic_of(envelope), key=envelope.subject, value=encode(envelope))]
    )

    [entry] = await wait_for_entries(gateway, 1, kind="event")
    assert entry["event_type"] == AccountEnded.event_type
    assert entry["event_id"] == envelope.id
    assert entry["event_subject"] == "account/a1"
    assert entry["event_time"].startswith(envelope.time.strftime("%Y-%m-%dT%H:%M"))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entry SET path = '/elsewhere' WHERE sequence = 1",
        "DELETE FROM audit_entry WHERE sequence = 1",
    ],
)
async def test_database_rejects_changes(
    gateway: httpx.AsyncClient, tmp_path: Path, statement: str
) -> None:
    await write_requests(gateway, 1)
    before = await wait_for_entries(gateway, 1)
    engine = create_engine(database_url(tmp_path))

    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as connection:
            await connection.execute(text(statement))
    await engine.dispose()

    assert await entries(gateway) == before


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    "change",
    # A changed field, then a stored hash that no longer matches the entry.
    ["status_code = 201", f"sha256 = '{'f' * 64}'"],
)
async def test_verify_finds_tampered_entry(
    gateway: httpx.AsyncClient, tmp_path: Path, change: str
) -> None:
    await write_requests(gateway, 3)
    await wait_for_entries(gateway, 3)
    with sqlite3.connect(tmp_path / "gateway.db") as connection:
        connection.execute("DROP TRIGGER audit_entry_no_update")
        connection.execute(f"UPDATE audit_entry SET {change} WHERE sequence = 2")

    report = await verify_database(database_url(tmp_path))

    assert report.broken is not None
    assert report.broken.sequence == 2
    assert "differs" in report.broken.reason
    assert report.entries == 1


@pytest.mark.sqlite_only
async def test_verify_finds_deleted_entry(
    gateway: httpx.AsyncClient, tmp_path: Path
) -> None:
    await write_requests(gateway, 3)
    await wait_for_entries(gateway, 3)
    with sqlite3.connect(tmp_path / "gateway.db") as connection:
        connection.execute("DROP TRIGGER audit_entry_no_delete")
        connection.execute("DELETE FROM audit_entry WHERE sequence = 2")

    report = await verify_database(database_url(tmp_path))

    assert report.broken is not None
    assert report.broken.sequence == 2
    assert "missing" in report.broken.reason


@pytest.mark.sqlite_only
async def test_verify_finds_rehashed_entry(
    gateway: httpx.AsyncClient, tmp_path: Path
) -> None:
    """A forger who recomputes the changed entry's hash still breaks the next link."""
    await write_requests(gateway, 3)
    await wait_for_entries(gateway, 3)
    with sqlite3.connect(tmp_path / "gateway.db") as connection:
        connection.execute("DROP TRIGGER audit_entry_no_update")
    engine = create_engine(database_url(tmp_path))
    async with session_factory(engine)() as session:
        forged = await session.get_one(AuditEntry, 2)
        forged.status_code = 201
        forged.sha256 = entry_sha256(forged)
        await session.commit()
    await engine.dispose()

    report = await verify_database(database_url(tmp_path))

    assert report.broken is not None
    assert report.broken.sequence == 3
    assert "previous_sha256" in report.broken.reason
    assert report.entries == 2


def forge_third_entry(database: Path) -> None:
    """Change the third audit entry, as someone with the file could."""
    # The gateway may still be writing, so wait for its lock as it would.
    with sqlite3.connect(database, timeout=30) as connection:
        connection.execute("DROP TRIGGER audit_entry_no_update")
        connection.execute("UPDATE audit_entry SET subject = 'x' WHERE sequence = 3")


@pytest.mark.sqlite_only
async def test_cli_verify_exit_status(
    gateway: httpx.AsyncClient, tmp_path: Path
) -> None:
    await write_requests(gateway, 3)
    await wait_for_entries(gateway, 3)
    intact = await palermo("audit", "verify", "--data-dir", str(tmp_path))
    # In a thread, because the gateway runs on this event loop and can only
    # commit a transaction it has open while the loop runs.
    await asyncio.to_thread(forge_third_entry, tmp_path / "gateway.db")

    broken = await palermo("audit", "verify", "--database-url", database_url(tmp_path))

    assert intact.returncode == 0
    assert "3 entries" in intact.stdout
    assert broken.returncode == 1
    assert "breaks at entry 3" in broken.stderr


async def test_audit_read_by_secretariat_only(
    gateway: httpx.AsyncClient, tokens: LocalIssuer
) -> None:
    response = await gateway.get(
        "/api/v1/audit", headers=tokens.headers(Role.FOCAL_POINT, "ITA")
    )

    assert response.status_code == 403


async def test_audit_filters_by_subject(
    gateway: httpx.AsyncClient, tokens: LocalIssuer
) -> None:
    await write_requests(gateway, 2)
    focal_point = tokens.headers(Role.FOCAL_POINT, "ITA")
    await gateway.put(
        "/api/v1/questionnaire/phases/p1/responses/ITA/convention/criminalization",
        headers=focal_point,
    )
    await wait_for_entries(gateway, 3)

    found = await entries(gateway, subject=LocalIssuer.subject(Role.FOCAL_POINT, "ITA"))

    assert [entry["method"] for entry in found] == ["PUT"]
    assert found[0]["state"] == "ITA"


async def test_audit_filters_by_time(gateway: httpx.AsyncClient) -> None:
    await write_requests(gateway, 2)
    [first, second] = await wait_for_entries(gateway, 2)

    since = await entries(gateway, since=second["recorded_at"])
    until = await entries(gateway, until=second["recorded_at"])

    assert [entry["sequence"] for entry in since] == [second["sequence"]]
    assert [entry["sequence"] for entry in until] == [first["sequence"]]


async def test_audit_pages(gateway: httpx.AsyncClient) -> None:
    await write_requests(gateway, 3)
    await wait_for_entries(gateway, 3)

    first = (await gateway.get("/api/v1/audit", params={"limit": 2})).json()
    rest = (
        await gateway.get(
            "/api/v1/audit", params={"limit": 2, "after": first["next_after"]}
        )
    ).json()

    assert [entry["sequence"] for entry in first["entries"]] == [1, 2]
    assert [entry["sequence"] for entry in rest["entries"]] == [3]
    assert rest["next_after"] is None


async def test_time_without_zone_rejected(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/api/v1/audit", params={"since": "2026-01-01T00:00"})

    assert response.status_code == 422
    assert response.json()["field"] == "since"


@pytest.mark.parametrize(
    ("field", "value"),
    [("since", "0001-01-01T00:00:00+14:00"), ("until", "9999-12-31T23:59:59-14:00")],
)
async def test_time_beyond_utc_range_rejected(
    gateway: httpx.AsyncClient, field: str, value: str
) -> None:
    response = await gateway.get("/api/v1/audit", params={field: value})

    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert "outside the years 1 to 9999" in response.json()["detail"]


@contextlib.asynccontextmanager
async def serve_gateway(settings: GatewaySettings) -> AsyncIterator[str]:
    """Serve a gateway with uvicorn on a loopback port until the block ends."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        server_config(create_app(settings, MemoryBus()), host="127.0.0.1", port=port)
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


async def test_two_gateways_share_one_chain(tmp_path: Path, upstream: Any) -> None:
    """Two gateway processes on one database append to one chain without forks."""
    settings = GatewaySettings(
        data_dir=tmp_path,
        draw_url=upstream.url,
        questionnaire_url=upstream.url,
        review_url=upstream.url,
        notify_url=upstream.url,
    )
    headers = LocalIssuer.from_key_file(tmp_path / "signing-key.pem").headers(
        Role.SECRETARIAT
    )

    async with (
        serve_gateway(settings) as first,
        serve_gateway(settings) as second,
        httpx.AsyncClient(base_url=first, headers=headers) as one,
        httpx.AsyncClient(base_url=second, headers=headers) as other,
    ):
        responses = await asyncio.gather(
            *(
                client.post("/api/v1/draw/phases", json={})
                for _ in range(40)
                for client in (one, other)
            )
        )
    report = await verify_database(database_url(tmp_path))

    assert {response.status_code for response in responses} == {200}
    assert report.broken is None
    assert report.entries == 80


def test_writer_drops_entries_past_its_queue(tmp_path: Path) -> None:
    runtime = build_runtime(GatewaySettings(data_dir=tmp_path), MemoryBus())
    writer = AuditWriter(runtime, max_queued=2)
    entry = request_entry(
        principal=None,
        method="POST",
        path="/api/v1/draw/phases",
        request_id="r1",
        status_code=200,
    )

    for _ in range(3):
        writer.submit(entry)

    assert writer.dropped == 1


async def test_cursor_beyond_64_bits_rejected(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/api/v1/audit", params={"after": 2**64})

    assert response.status_code == 422


async def test_misspelt_parameter_rejected(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/api/v1/audit", params={"limt": 2})

    assert response.status_code == 422
    assert response.json()["field"] == "limt"
