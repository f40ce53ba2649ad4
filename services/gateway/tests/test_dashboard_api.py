"""The dashboard over real HTTP: its figures for the Secretariat, fed from the bus."""

import asyncio
import re
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from palermo_gateway.main import create_app
from palermo_gateway.settings import GatewaySettings
from palermo_shared.auth import LocalIssuer, Role
from palermo_shared.bus import Record
from palermo_shared.bus.memory import MemoryBus
from palermo_shared.contracts import QuestionnaireSubmitted, ReviewPhaseOpened
from palermo_shared.events import (
    TOPIC_DRAW,
    TOPIC_QUESTIONNAIRE,
    Envelope,
    encode,
    new_event,
)
from palermo_shared.serve import server_config


def _free_port() -> int:

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _record(topic: str, envelope: Envelope) -> Record:
    return Record(topic=topic, key=envelope.subject, value=encode(envelope))


def _opened(phase_id: str) -> Record:
    payload = ReviewPhaseOpened(
        phase_id=phase_id,
        years="III-VI",
        clusters=["criminalization"],
        instruments=["convention"],
        working_groups={},
        draw_date="2026-12-04",
        states_under_review={"convention": ["KEN", "FRA"]},
    )
    return _record(TOPIC_DRAW, new_event(payload, source="/test", subject=phase_id))


def _submitted(phase_id: str, state: str) -> Envelope:
    payload = QuestionnaireSubmitted(
        response_id=f"r-{state}",
        questionnaire_id="q",
        phase_id=phase_id,
        state=state,
        instrument="convention",
        cluster="criminalization",
        submitted_at="2026-12-04T10:00:00Z",
    )
    return new_event(payload, source="/test", subject=f"{state}/convention")


@pytest.fixture
def bus() -> MemoryBus:
    return MemoryBus()


@pytest.fixture
def tokens(tmp_path: Path) -> LocalIssuer:
    return LocalIssuer.from_key_file(tmp_path / "signing-key.pem")


@pytest.fixture
async def gateway(bus: MemoryBus, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    closed = f"http://127.0.0.1:{_free_port()}"
    settings = GatewaySettings(
        data_dir=tmp_path,
        draw_url=closed,
        questionnaire_url=closed,
        review_url=closed,
        notify_url=closed,
    )
    app = create_app(settings, bus)
    port = _free_port()
    server = uvicorn.Server(server_config(app, host="127.0.0.1", port=port))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", timeout=10
    ) as client:
        yield client
    server.should_exit = True
    await serving


async def _read_until(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    done: Any,
    *,
    timeout: float = 10.0,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        response = await client.get("/api/v1/dashboard", headers=headers)
        body: dict[str, Any] = response.json()
        if done(body) or time.monotonic() > deadline:
            return body
        await asyncio.sleep(0.05)


def _submitted_count(body: dict[str, Any]) -> int:
    current = body["current"]
    if current is None:
        return 0
    [convention] = current["by_instrument"]
    count: int = convention["reached"]["questionnaire_submitted"]
    return count


async def test_dashboard_shows_bus_events(
    gateway: httpx.AsyncClient, bus: MemoryBus, tokens: LocalIssuer
) -> None:
    await bus.append([_opened("p1")])
    await bus.append([_record(TOPIC_QUESTIONNAIRE, _submitted("p1", "KEN"))])

    body = await _read_until(
        gateway, tokens.headers(Role.SECRETARIAT), lambda b: _submitted_count(b) == 1
    )

    assert body["current"]["phase"]["phase_id"] == "p1"
    assert body["current"]["units"] == 2
    assert _submitted_count(body) == 1


async def test_dashboard_ignores_redelivery(
    gateway: httpx.AsyncClient, bus: MemoryBus, tokens: LocalIssuer
) -> None:
    submitted = _record(TOPIC_QUESTIONNAIRE, _submitted("p1", "KEN"))
    await bus.append([_opened("p1"), submitted])
    headers = tokens.headers(Role.SECRETARIAT)
    await _read_until(gateway, headers, lambda b: b["events_applied"] == 2)

    await bus.append([submitted, _opened("p2")])
    body = await _read_until(gateway, headers, lambda b: len(b["phases"]) == 2)

    assert body["events_applied"] == 3
    response = await gateway.get(
        "/api/v1/dashboard", params={"phase_id": "p1"}, headers=headers
    )
    assert _submitted_count(response.json()) == 1


async def test_dashboard_empty_before_any_phase(
    gateway: httpx.AsyncClient, tokens: LocalIssuer
) -> None:
    response = await gateway.get(
        "/api/v1/dashboard", headers=tokens.headers(Role.SECRETARIAT)
    )

    assert response.status_code == 200
    assert response.json()["current"] is None


@pytest.mark.parametrize(
    ("role", "state"),
    [(Role.FOCAL_POINT, "KEN"), (Role.EXPERT, "FRA"), (Role.OBSERVER, None)],
)
async def test_dashboard_secretariat_only(
    gateway: httpx.AsyncClient, tokens: LocalIssuer, role: Role, state: str | None
) -> None:
    response = await gateway.get(
        "/api/v1/dashboard", headers=tokens.headers(role, state)
    )

    assert response.status_code == 403
    assert "dashboard" in response.json()["detail"]


async def test_dashboard_needs_token(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/api/v1/dashboard")

    assert response.status_code == 401


async def test_dashboard_rejects_foreign_token(
    gateway: httpx.AsyncClient, tmp_path: Path
) -> None:
    other = LocalIssuer.from_key_file(tmp_path / "other" / "signing-key.pem")

    response = await gateway.get(
        "/api/v1/dashboard", headers=other.headers(Role.SECRETARIAT)
    )

    assert response.status_code == 401


async def test_dashboard_unknown_phase(
    gateway: httpx.AsyncClient, bus: MemoryBus, tokens: LocalIssuer
) -> None:
    await bus.append([_opened("p1")])
    headers = tokens.headers(Role.SECRETARIAT)
    before = await _read_until(gateway, headers, lambda b: b["events_applied"] == 1)

    response = await gateway.get(
        "/api/v1/dashboard", params={"phase_id": "nope"}, headers=headers
    )

    assert response.status_code == 404
    assert "'nope'" in response.json()["detail"]
    after = await gateway.get("/api/v1/dashboard", headers=headers)
    assert after.json() == before


async def test_page_served_without_token(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/dashboard")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert 'src="/dashboard/dashboard.js"' in response.text


@pytest.mark.parametrize(
    ("name", "media_type"),
    [("dashboard.js", "text/javascript"), ("dashboard.css", "text/css")],
)
async def test_page_assets_served(
    gateway: httpx.AsyncClient, name: str, media_type: str
) -> None:
    response = await gateway.get(f"/dashboard/{name}")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)


async def test_page_link_parameters_ignored(gateway: httpx.AsyncClient) -> None:
    # Mail clients and link shorteners add parameters of their own.
    page = await gateway.get("/dashboard", params={"utm_source": "mail"})
    script = await gateway.get("/dashboard/dashboard.js", params={"v": "2"})

    assert page.status_code == 200
    assert script.status_code == 200


async def test_api_parameter_misspelt(
    gateway: httpx.AsyncClient, tokens: LocalIssuer
) -> None:
    response = await gateway.get(
        "/api/v1/dashboard",
        params={"phase": "p1"},
        headers=tokens.headers(Role.SECRETARIAT),
    )

    assert response.status_code == 422
    assert response.json()["field"] == "phase"


async def test_page_asset_unknown(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/dashboard/..%2Fprojection.py")

    assert response.status_code == 404


async def test_page_loads_nothing_elsewhere(gateway: httpx.AsyncClient) -> None:
    page = (await gateway.get("/dashboard")).text
    script = (await gateway.get("/dashboard/dashboard.js")).text
    style = (await gateway.get("/dashboard/dashboard.css")).text

    references = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert references == ["/dashboard/dashboard.css", "/dashboard/dashboard.js"]
    # The SVG namespace is a name, never fetched.
    assert re.findall(r"https?://[^\"]+", script) == ["http://www.w3.org/2000/svg"]
    assert "http" not in style


async def test_malformed_message_skipped(
    gateway: httpx.AsyncClient, bus: MemoryBus, tokens: LocalIssuer
) -> None:
    garbage = Record(topic=TOPIC_DRAW, key="x", value=b"not an event")
    await bus.append([garbage, _opened("p1")])

    body = await _read_until(
        gateway, tokens.headers(Role.SECRETARIAT), lambda b: b["events_applied"] == 1
    )

    assert body["events_applied"] == 1
    assert body["current"]["phase"]["phase_id"] == "p1"
