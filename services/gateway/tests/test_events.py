"""The event stream: Server-Sent Events over real HTTP, resumable, bounded."""

import asyncio
import datetime as dt
import json
import socket
import struct
import time
from pathlib import Path

import httpx
import pytest

from palermo_gateway.events import EventStream
from palermo_shared.auth import LocalIssuer, Role
from palermo_shared.bus import Record
from palermo_shared.bus.memory import MemoryBus
from palermo_shared.contracts import ReviewPhaseOpened
from palermo_shared.events import TOPIC_DRAW, encode, new_event
from tests.support.tokens import local_token

from .conftest import ServeGateway


def _phase_event(phase_id: str) -> Record:
    payload = ReviewPhaseOpened(
        phase_id=phase_id,
        years="III-VI",
        clusters=[],
        instruments=[],
        working_groups={},
        draw_date="2026-12-04",
        states_under_review={},
    )
    envelope = new_event(payload, source="/test", subject=f"phase/{phase_id}")
    return Record(topic=TOPIC_DRAW, key=envelope.subject, value=encode(envelope))


async def _read_events(
    client: httpx.AsyncClient,
    count: int,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> list[dict[str, str]]:
    events: list[dict[str, str]] = []
    current: dict[str, str] = {}
    async with client.stream(
        "GET", "/api/v1/events", headers=headers, params=params
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        async for line in response.aiter_lines():
            if not line:
                if "data" in current:
                    events.append(current)
                current = {}
                if len(events) == count:
                    return events
                continue
            field, _, value = line.partition(": ")
            current[field] = value
    return events


async def test_stream_sends_events_with_ids(
    gateway: httpx.AsyncClient, bus: MemoryBus
) -> None:
    await bus.append([_phase_event("p1"), _phase_event("p2")])

    events = await asyncio.wait_for(_read_events(gateway, 2), 10)

    assert [e["id"] for e in events] == ["1", "2"]
    assert events[0]["event"] == "palermo.draw.review_phase_opened"
    assert json.loads(events[1]["data"])["data"]["phase_id"] == "p2"


async def test_stream_resumes_after_last_event_id(
    gateway: httpx.AsyncClient, bus: MemoryBus
) -> None:
    await bus.append([_phase_event("p1"), _phase_event("p2"), _phase_event("p3")])
    await asyncio.wait_for(_read_events(gateway, 3), 10)

    resumed = await asyncio.wait_for(
        _read_events(gateway, 1, headers={"Last-Event-ID": "2"}), 10
    )

    assert resumed[0]["id"] == "3"


async def test_stream_delivers_live_events(
    gateway: httpx.AsyncClient, bus: MemoryBus
) -> None:
    reader = asyncio.create_task(_read_events(gateway, 1))
    await asyncio.sleep(0.2)
    await bus.append([_phase_event("live")])

    events = await asyncio.wait_for(reader, 10)

    assert json.loads(events[0]["data"])["data"]["phase_id"] == "live"


async def test_stream_without_history_sends_new(
    gateway: httpx.AsyncClient, bus: MemoryBus
) -> None:
    await bus.append([_phase_event("old-1"), _phase_event("old-2")])
    await asyncio.wait_for(_read_events(gateway, 2), 10)
    reader = asyncio.create_task(_read_events(gateway, 1, params={"history": "false"}))
    await asyncio.sleep(0.2)

    await bus.append([_phase_event("new")])
    [event] = await asyncio.wait_for(reader, 10)

    assert event["id"] == "3"
    assert json.loads(event["data"])["data"]["phase_id"] == "new"


async def test_last_event_id_outranks_history_false(
    gateway: httpx.AsyncClient, bus: MemoryBus
) -> None:
    await bus.append([_phase_event("p1"), _phase_event("p2")])
    await asyncio.wait_for(_read_events(gateway, 2), 10)

    resumed = await asyncio.wait_for(
        _read_events(
            gateway, 1, headers={"Last-Event-ID": "1"}, params={"history": "false"}
        ),
        10,
    )

    assert resumed[0]["id"] == "2"


async def test_counts_by_type(gateway: httpx.AsyncClient, bus: MemoryBus) -> None:
    await bus.append([_phase_event("p1"), _phase_event("p2")])
    await asyncio.wait_for(_read_events(gateway, 2), 10)

    counts = (await gateway.get("/api/v1/events/counts")).json()

    assert counts == {"palermo.draw.review_phase_opened": 2}


async def test_resume_past_history_reports_gap(
    gateway: httpx.AsyncClient, bus: MemoryBus
) -> None:
    await bus.append([_phase_event(f"p{i}") for i in range(8)])
    await asyncio.wait_for(_read_events(gateway, 5), 10)

    events = await asyncio.wait_for(
        _read_events(gateway, 2, headers={"Last-Event-ID": "1"}), 10
    )

    assert events[0]["event"] == "stream.gap"
    assert json.loads(events[0]["data"]) == {"first_missing": 2, "last_missing": 3}
    assert events[1]["id"] == "4"


async def test_resume_ahead_of_stream_resets(
    gateway: httpx.AsyncClient, bus: MemoryBus
) -> None:
    """A client resumes with an id from before a restart of the gateway."""
    await bus.append([_phase_event("p1"), _phase_event("p2")])
    await asyncio.wait_for(_read_events(gateway, 2), 10)

    events = await asyncio.wait_for(
        _read_events(gateway, 3, headers={"Last-Event-ID": "2697"}), 10
    )

    assert events[0]["event"] == "stream.reset"
    assert json.loads(events[0]["data"]) == {
        "last_event_id": 2697,
        "newest_event_id": 2,
    }
    assert [e["id"] for e in events[1:]] == ["1", "2"]


async def test_paused_client_blocks_nobody_and_resumes_after_gap() -> None:
    bus = MemoryBus()
    stream = EventStream(bus, history_size=3)
    runner = asyncio.create_task(stream.run())
    await asyncio.wait_for(stream.ready.wait(), 5)
    paused = stream.follow(last_event_id=None)
    first = asyncio.create_task(anext(paused))
    await bus.append([_phase_event("first")])
    assert (await asyncio.wait_for(first, 5)).sequence == 1

    await bus.append([_phase_event(f"p{i}") for i in range(9)])
    while stream.counts["palermo.draw.review_phase_opened"] < 10:
        await asyncio.sleep(0.01)
    resumed = [await anext(paused) for _ in range(4)]
    runner.cancel()

    assert resumed[0].type == "stream.gap"
    assert json.loads(resumed[0].data) == {"first_missing": 2, "last_missing": 7}
    assert [e.sequence for e in resumed[1:]] == [8, 9, 10]


async def test_stream_ends_when_token_expires(
    gateway: httpx.AsyncClient, bus: MemoryBus, tmp_path: Path
) -> None:
    headers = local_token(
        tmp_path,
        "dashboard@example.org",
        Role.SECRETARIAT,
        lifetime=dt.timedelta(seconds=2),
    )
    await bus.append([_phase_event("p1")])
    started = time.monotonic()

    lines = []
    async with gateway.stream("GET", "/api/v1/events", headers=headers) as response:
        async for line in response.aiter_lines():
            lines.append(line)

    assert response.status_code == 200
    assert "event: palermo.draw.review_phase_opened" in lines
    assert time.monotonic() - started < 8


def _read_start_then_reset(port: int, token: str) -> None:
    """Request the stream, read its first bytes, then reset the connection."""
    with socket.create_connection(("127.0.0.1", port)) as connection:
        request = (
            f"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        )
        connection.sendall(request.encode())
        connection.recv(4096)
        # A zero linger time closes with a reset, as a crashed client would.
        connection.setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
        )


async def test_stream_stops_for_reset_client(
    serve_gateway: ServeGateway,
    bus: MemoryBus,
    tokens: LocalIssuer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await bus.append([_phase_event(f"p{i}") for i in range(5000)])
    headers = tokens.headers(Role.SECRETARIAT)

    async with (
        serve_gateway(event_history_size=5000) as url,
        httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client,
    ):
        while await _phases_read(client) < 5000:
            await asyncio.sleep(0.05)
        port = httpx.URL(url).port
        assert port is not None
        await asyncio.to_thread(
            _read_start_then_reset, port, tokens.token(Role.SECRETARIAT)
        )
        live = await client.get("/healthz/live")

    assert live.status_code == 200
    writes_to_closed = [
        r for r in caplog.records if "socket.send() raised" in r.getMessage()
    ]
    assert writes_to_closed == []


async def _phases_read(client: httpx.AsyncClient) -> int:
    counts = (await client.get("/api/v1/events/counts")).json()
    return int(counts.get("palermo.draw.review_phase_opened", 0))
