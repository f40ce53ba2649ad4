"""Fixtures: hand-made States parties and the draw app run in-process."""

import asyncio
import datetime as dt
import hashlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from palermo_draw.main import create_app
from palermo_draw.settings import DrawSettings
from palermo_shared.auth import LocalIssuer, Role
from palermo_shared.bus.memory import MemoryBus
from palermo_shared.events import Envelope, decode
from palermo_shared.reference.instruments import Instrument
from palermo_shared.reference.states import PartyStatus, StateParty

MakeState = Callable[..., StateParty]


@pytest.fixture
def make_state() -> MakeState:
    """Return a builder of States parties, by default to the Convention, undated."""

    def build(
        iso3: str,
        regional_group: str | None,
        legal_system: str | None = "civil_law",
        instruments: tuple[Instrument, ...] = (Instrument.CONVENTION,),
        deposit_date: dt.date | None = None,
    ) -> StateParty:
        return StateParty(
            iso3=iso3,
            name=iso3,
            regional_group=regional_group,
            legal_system=legal_system,
            instruments={i: PartyStatus(deposit_date) for i in instruments},
            uncac=None,
        )

    return build


@dataclass
class DrawService:
    """The running draw app, its bus and an HTTP client bound to it."""

    app: FastAPI
    bus: MemoryBus
    client: httpx.AsyncClient
    tokens: LocalIssuer

    def events(self, topic: str, event_type: str) -> list[Envelope]:
        envelopes = [decode(d.value) for d in self.bus.log(topic)]
        return [e for e in envelopes if e.type == event_type]

    async def wait_for_events(
        self, topic: str, event_type: str, count: int, timeout: float = 5.0
    ) -> list[Envelope]:
        """Poll the bus until `count` events of `event_type` are on `topic`."""
        await wait_until(
            lambda: len(self.events(topic, event_type)) >= count, timeout=timeout
        )
        return self.events(topic, event_type)

    async def published(self, topic: str, event_type: str) -> list[Envelope]:
        """Return the events of `event_type` once the outbox has none pending."""
        relay = self.app.state.runtime.relay
        deadline = time.monotonic() + 5
        while await relay.pending_count():
            if time.monotonic() > deadline:
                raise AssertionError("the outbox still has events after 5 s")
            await asyncio.sleep(0.02)
        return self.events(topic, event_type)


async def wait_until(condition: Callable[[], bool], *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition still false after {timeout} s")
        await asyncio.sleep(0.02)


@pytest.fixture
async def draw_service(tmp_path: Path) -> AsyncIterator[DrawService]:
    bus = MemoryBus()
    settings = DrawSettings(data_dir=tmp_path)
    app = create_app(settings, bus)
    tokens = LocalIssuer.from_key_file(settings.signing_key_path())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://draw.test",
            headers=tokens.headers(Role.SECRETARIAT),
        ) as client:
            yield DrawService(app, bus, client, tokens)
            await _drain_outbox(app)


async def _drain_outbox(app: FastAPI) -> None:
    """Wait until the relay has published every event, before the app stops.

    Stopping right after a commit can cancel the relay while its wake-up
    event is set. `asyncio.wait_for` in Python 3.11 then swallows the
    cancellation, so the relay never stops. Draining first avoids that.
    """
    relay = app.state.runtime.relay
    deadline = time.monotonic() + 10
    while await relay.pending_count() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.05)


OpenPhase = Callable[..., Awaitable[str]]


@pytest.fixture
def open_phase(draw_service: DrawService) -> OpenPhase:
    """Return a helper that opens a phase through the API and returns its id."""

    async def create(
        years: str = "III-VI",
        instruments: tuple[str, ...] = ("convention",),
        draw_date: str = "2025-01-01",
        mode: str = "per_review",
    ) -> str:
        body = {
            "years": years,
            "instruments": list(instruments),
            "draw_date": draw_date,
            "mode": mode,
        }
        response = await draw_service.client.post("/phases", json=body)
        assert response.status_code == 201, response.text
        phase_id: str = response.json()["id"]
        return phase_id

    return create


@dataclass
class DrawnPhase:
    phase_id: str
    meeting_id: str
    seed: str
    draw: dict


DrawPhase = Callable[..., Awaitable[DrawnPhase]]


def today() -> str:
    """Return today's date in UTC, the earliest meeting date after a commitment."""
    return dt.datetime.now(dt.UTC).date().isoformat()


async def _record_meeting(
    client: httpx.AsyncClient,
    phase_id: str,
    kind: str = "intersessional",
    date: str | None = None,
    states_present: tuple[str, ...] = ("KEN", "FRA", "BRA"),
) -> str:
    body = {
        "kind": kind,
        "date": date or today(),
        "states_present": list(states_present),
    }
    response = await client.post(f"/phases/{phase_id}/meetings", json=body)
    assert response.status_code == 201, response.text
    meeting_id: str = response.json()["id"]
    return meeting_id


async def _commit_seed(client: httpx.AsyncClient, phase_id: str, seed: str) -> None:
    digest = hashlib.sha256(seed.encode()).hexdigest()
    response = await client.post(
        f"/phases/{phase_id}/seed-commitment", json={"seed_sha256": digest}
    )
    assert response.status_code == 201, response.text


@pytest.fixture
def record_meeting(draw_service: DrawService) -> Callable[..., Awaitable[str]]:
    """Return a helper that records a meeting of a phase and returns its id."""

    async def record(phase_id: str, **meeting: object) -> str:
        return await _record_meeting(draw_service.client, phase_id, **meeting)  # type: ignore[arg-type]

    return record


@pytest.fixture
def commit_seed(draw_service: DrawService) -> Callable[..., Awaitable[None]]:
    """Return a helper that commits the SHA-256 of a seed for a phase."""

    async def commit(phase_id: str, seed: str) -> None:
        await _commit_seed(draw_service.client, phase_id, seed)

    return commit


@pytest.fixture
def draw_phase(draw_service: DrawService, open_phase: OpenPhase) -> DrawPhase:
    """Return a helper that opens a phase, commits a seed and draws at a meeting."""

    async def draw(seed: str = "meeting-7", **phase: object) -> DrawnPhase:
        client = draw_service.client
        phase_id = await open_phase(**phase)
        await _commit_seed(client, phase_id, seed)
        meeting_id = await _record_meeting(client, phase_id)
        body = {"seed": seed, "meeting_id": meeting_id}
        response = await client.post(f"/phases/{phase_id}/draw", json=body)
        assert response.status_code == 201, response.text
        return DrawnPhase(phase_id, meeting_id, seed, response.json())

    return draw
