"""Fixtures: the questionnaire app run in-process, fed real envelopes on a
MemoryBus, and builders of phases and answers."""

import asyncio
import datetime as dt
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from palermo_questionnaire.main import create_app
from palermo_questionnaire.settings import QuestionnaireSettings
from palermo_shared.auth import LocalIssuer, Role
from palermo_shared.bus import Record
from palermo_shared.bus.memory import MemoryBus
from palermo_shared.contracts import ReviewPhaseOpened
from palermo_shared.events import (
    TOPIC_QUESTIONNAIRE,
    Envelope,
    decode,
    encode,
    new_event,
    topic_of,
)
from palermo_shared.reference.instruments import (
    WORKING_GROUPS,
    WORKPLAN,
    Instrument,
)
from palermo_shared.reference.states import load_states
from palermo_shared.service import ServiceRuntime

DRAW_DATE = dt.date(2025, 1, 1)
RESPONSE_STATE = re.compile(r"/responses/([A-Za-z]{3})/")


async def wait_until(
    condition: Callable[[], Awaitable[bool]], *, timeout: float = 5.0
) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition still false after {timeout} s")
        await asyncio.sleep(0.02)


def phase_opened(
    phase_id: str, years: str, instruments: tuple[Instrument, ...]
) -> ReviewPhaseOpened:
    """Build the event the draw service publishes, from the shipped registry."""
    registry = load_states()
    return ReviewPhaseOpened(
        phase_id=phase_id,
        years=years,
        clusters=list(WORKPLAN[years].clusters),
        instruments=list(instruments),
        working_groups={i: WORKING_GROUPS[i] for i in instruments},
        draw_date=DRAW_DATE,
        states_under_review={
            i: sorted(iso3 for iso3, s in registry.items() if s.party_to(i, DRAW_DATE))
            for i in instruments
        },
    )


@dataclass
class QuestionnaireService:
    """The running questionnaire app, its bus and an HTTP client bound to it."""

    app: FastAPI
    bus: MemoryBus
    client: httpx.AsyncClient

    @property
    def runtime(self) -> ServiceRuntime:
        runtime: ServiceRuntime = self.app.state.runtime
        return runtime

    async def deliver(self, envelope: Envelope) -> None:
        record = Record(
            topic=topic_of(envelope), key=envelope.subject, value=encode(envelope)
        )
        await self.bus.append([record])

    async def open_phase(
        self,
        phase_id: str = "phase-1",
        years: str = "III-VI",
        instruments: tuple[Instrument, ...] = (
            Instrument.CONVENTION,
            Instrument.FIREARMS,
        ),
    ) -> Envelope:
        """Deliver a ReviewPhaseOpened event and wait until the phase is known."""
        payload = phase_opened(phase_id, years, instruments)
        envelope = new_event(payload, source="/palermo/draw", subject=phase_id)
        await self.deliver(envelope)
        await self.wait_for_phase(
            phase_id, instruments[0].value, WORKPLAN[years].clusters[0].value
        )
        return envelope

    async def wait_for_phase(
        self, phase_id: str, instrument: str, cluster: str
    ) -> None:
        """Wait until the questionnaire of a phase is served."""
        path = f"/phases/{phase_id}/questionnaires/{instrument}/{cluster}"

        async def known() -> bool:
            response = await self.client.get(path, params={"state": "ITA"})
            return response.status_code == 200

        await wait_until(known)

    async def questionnaire(
        self, state: str, instrument: str, cluster: str, phase_id: str = "phase-1"
    ) -> dict[str, Any]:
        path = f"/phases/{phase_id}/questionnaires/{instrument}/{cluster}"
        response = await self.client.get(path, params={"state": state})
        assert response.status_code == 200, response.text
        questionnaire: dict[str, Any] = response.json()
        return questionnaire

    async def complete_answers(
        self, state: str, instrument: str, cluster: str
    ) -> dict[str, dict[str, Any]]:
        """Return the required answers: partly, explained, with one citation."""
        questionnaire = await self.questionnaire(state, instrument, cluster)
        answers: dict[str, dict[str, Any]] = {}
        for section in questionnaire["sections"]:
            article = section["article"]
            answers[f"article-{article}.implementation"] = {
                "value": "partly",
                "explanation": "In part.",
            }
            answers[f"article-{article}.citations"] = {
                "value": [
                    {"kind": "law", "title": "Criminal Code", "reference": "s. 1"}
                ]
            }
        return answers

    def events(self, event_type: str) -> list[Envelope]:
        envelopes = [decode(d.value) for d in self.bus.log(TOPIC_QUESTIONNAIRE)]
        return [e for e in envelopes if e.type == event_type]

    async def wait_for_outbox(self) -> None:
        """Wait until every event the service recorded is on the bus."""

        async def flushed() -> bool:
            return await self.runtime.relay.pending_count() == 0

        await wait_until(flushed)


@pytest.fixture
def settings(tmp_path: Path) -> QuestionnaireSettings:
    return QuestionnaireSettings(data_dir=tmp_path)


class ActAsOwner(httpx.Auth):
    """Sign each request as the focal point of the State whose response it
    touches, or as the Secretariat elsewhere, unless it names its own token."""

    def __init__(self, tokens: LocalIssuer) -> None:
        self.tokens = tokens

    def auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        if "authorization" not in request.headers:
            request.headers.update(self._headers(request.url.path))
        yield request

    def _headers(self, path: str) -> dict[str, str]:
        match = RESPONSE_STATE.search(path)
        # A code outside the registry has no focal point to act as, so such a
        # request goes as the Secretariat.
        if match and match.group(1).upper() in load_states():
            return self.tokens.headers(Role.FOCAL_POINT, match.group(1).upper())
        return self.tokens.headers(Role.SECRETARIAT)


def owner_client(app: FastAPI, settings: QuestionnaireSettings) -> httpx.AsyncClient:
    """Return a client of `app` that acts as each response's focal point."""
    tokens = LocalIssuer.from_key_file(settings.signing_key_path())
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://questionnaire.test",
        auth=ActAsOwner(tokens),
    )


@pytest.fixture
async def service(
    settings: QuestionnaireSettings,
) -> AsyncIterator[QuestionnaireService]:
    bus = MemoryBus()
    app = create_app(settings, bus)
    async with (
        app.router.lifespan_context(app),
        owner_client(app, settings) as client,
    ):
        yield QuestionnaireService(app, bus, client)


@pytest.fixture
async def draw_client(
    service: QuestionnaireService, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """Return a client of the real draw app, publishing on the service's bus."""
    # Imported here, so that only the tests that need the draw service import it.
    from palermo_draw.main import create_app as create_draw_app
    from palermo_draw.settings import DrawSettings

    draw_settings = DrawSettings(data_dir=tmp_path)
    app = create_draw_app(draw_settings, service.bus)
    tokens = LocalIssuer.from_key_file(draw_settings.signing_key_path())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://draw.test",
            headers=tokens.headers(Role.SECRETARIAT),
        ) as client:
            yield client


@pytest.fixture
async def phase(service: QuestionnaireService) -> str:
    """Open phase-1 (years III-VI, Convention and Firearms Protocol)."""
    await service.open_phase()
    return "phase-1"
