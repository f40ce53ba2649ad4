"""Fixtures: the review app run in-process and fed real envelopes of the
draw and questionnaire services on a MemoryBus, a clock the tests move,
and tokens signed with the app's own local key."""

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from palermo_review.main import create_app
from palermo_review.reviews import review_id
from palermo_review.settings import ReviewSettings
from palermo_shared.auth import LocalIssuer, Role
from palermo_shared.bus.memory import MemoryBus
from palermo_shared.contracts import DrawnReviewer, LotsDrawn, QuestionnaireSubmitted
from palermo_shared.events import (
    TOPIC_REVIEW,
    Envelope,
    EventPayload,
    decode,
    new_event,
)
from palermo_shared.reference.instruments import Cluster, Instrument
from palermo_shared.service import ServiceRuntime
from tests.support.events import record_of

PHASE_ID = "phase-1"
STATE = "ITA"
REVIEWERS = ("FRA", "BRA")
START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


class ManualClock:
    """A clock that moves only when a test moves it."""

    def __init__(self, now: dt.datetime = START) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


async def wait_until(
    condition: Callable[[], Awaitable[bool]], *, timeout: float = 5.0
) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition still false after {timeout} s")
        await asyncio.sleep(0.02)


def lots_drawn(
    clusters: tuple[Cluster, ...] = (Cluster.CRIMINALIZATION,),
) -> LotsDrawn:
    same, other = REVIEWERS
    return LotsDrawn(
        phase_id=PHASE_ID,
        instrument=Instrument.CONVENTION,
        state_under_review=STATE,
        regional_group="Western European and Others",
        clusters=list(clusters),
        reviewers=[
            DrawnReviewer(
                iso3=same,
                regional_group="Western European and Others",
                legal_system="civil_law",
                role="same_regional_group",
            ),
            DrawnReviewer(
                iso3=other,
                regional_group="Latin American and Caribbean",
                legal_system="civil_law",
                role="other_regional_group",
            ),
        ],
        similar_legal_system=True,
    )


def questionnaire_submitted(
    cluster: Cluster = Cluster.CRIMINALIZATION,
) -> QuestionnaireSubmitted:
    return QuestionnaireSubmitted(
        response_id=f"response-{cluster.value}",
        questionnaire_id=f"convention.{cluster.value}.v1",
        phase_id=PHASE_ID,
        state=STATE,
        instrument=Instrument.CONVENTION,
        cluster=cluster,
        submitted_at=dt.datetime(2025, 3, 1, tzinfo=dt.UTC),
    )


@dataclass
class ReviewService:
    """The running review app, its bus, its clock, tokens and an HTTP client."""

    app: FastAPI
    bus: MemoryBus
    client: httpx.AsyncClient
    clock: ManualClock
    tokens: LocalIssuer

    def headers(self, role: Role, state: str | None = None) -> dict[str, str]:
        return self.tokens.headers(role, state)

    @property
    def secretariat(self) -> dict[str, str]:
        return self.tokens.headers(Role.SECRETARIAT)

    def focal_point(self, state: str) -> dict[str, str]:
        return self.tokens.headers(Role.FOCAL_POINT, state)

    def expert(self, state: str) -> dict[str, str]:
        return self.tokens.headers(Role.EXPERT, state)

    async def name_focal_points(self, *states: str) -> None:
        """Name the focal points of `states` (default: all three) for the phase."""
        body = {
            "focal_points": [
                {
                    "state": state,
                    "subject": LocalIssuer.subject(Role.FOCAL_POINT, state),
                    "name": f"Focal point of {state}",
                    "email": f"focal.point@{state.lower()}.example",
                }
                for state in states or (STATE, *REVIEWERS)
            ]
        }
        response = await self.client.put(
            f"/phases/{PHASE_ID}/focal-points", json=body, headers=self.secretariat
        )
        assert response.status_code == 204, response.text

    async def appoint_expert(self, state: str, *review_ids: str) -> httpx.Response:
        """Have `state`'s focal point appoint its expert token's subject."""
        body = {
            "review_ids": list(review_ids or [self.review_id()]),
            "subject": LocalIssuer.subject(Role.EXPERT, state),
            "name": f"Expert of {state}",
            "email": f"expert@{state.lower()}.example",
            "languages": ["en", "fr"],
            "expertise": "Criminal law",
        }
        return await self.client.post(
            "/experts", json=body, headers=self.focal_point(state)
        )

    @property
    def runtime(self) -> ServiceRuntime:
        runtime: ServiceRuntime = self.app.state.runtime
        return runtime

    lots_drawn = staticmethod(lots_drawn)
    questionnaire_submitted = staticmethod(questionnaire_submitted)

    @staticmethod
    def review_id(cluster: Cluster = Cluster.CRIMINALIZATION) -> str:
        return review_id(PHASE_ID, STATE, Instrument.CONVENTION.value, cluster.value)

    async def publish(self, payload: EventPayload) -> Envelope:
        envelope = new_event(payload, source="/palermo/test", subject=STATE)
        await self.deliver(envelope)
        return envelope

    async def publish_together(self, *payloads: EventPayload) -> None:
        """Publish in one append, so that the consumer takes them as one batch."""
        envelopes = [
            new_event(payload, source="/palermo/test", subject=STATE)
            for payload in payloads
        ]
        await self.bus.append([record_of(envelope) for envelope in envelopes])

    async def deliver(self, envelope: Envelope) -> None:
        await self.bus.append([record_of(envelope)])

    def url(self, path: str = "") -> str:
        return f"/reviews/{self.review_id()}{path}"

    async def observe(self, state: str = "FRA", **changes: Any) -> httpx.Response:
        body = {
            "article": 5,
            "kind": "good_practice",
            "text": "Participation in an organized criminal group is an offence.",
            **changes,
        }
        return await self.client.post(
            self.url("/observations"), json=body, headers=self.expert(state)
        )

    async def agree(self, headers: dict[str, str]) -> httpx.Response:
        return await self.client.post(self.url("/agreement"), headers=headers)

    async def agree_both(self) -> None:
        """Have both reviewing States' focal points agree to the observations."""
        for state in REVIEWERS:
            response = await self.agree(self.focal_point(state))
            assert response.status_code == 200, response.text

    async def waive(self) -> httpx.Response:
        return await self.client.post(
            self.url("/comments/waiver"), headers=self.focal_point(STATE)
        )

    async def complete(
        self, headers: dict[str, str] | None = None, summary: str = "Desk review done."
    ) -> httpx.Response:
        return await self.client.post(
            self.url("/complete"),
            json={"summary": summary},
            headers=headers or self.expert("FRA"),
        )

    async def complete_fully(self) -> dict[str, Any]:
        """Observe, agree, waive and complete the staffed review."""
        assert (await self.observe()).status_code == 201
        await self.agree_both()
        assert (await self.waive()).status_code == 200
        response = await self.complete()
        assert response.status_code == 200, response.text
        completed: dict[str, Any] = response.json()
        return completed

    async def wait_for_handled(self, count: int) -> None:
        """Wait until the consumer handled `count` events and relayed their output."""
        [consumer] = self.runtime.consumers

        async def handled() -> bool:
            return consumer.handled_total >= count

        await wait_until(handled)
        await self.wait_for_outbox()

    async def wait_for_outbox(self) -> None:
        async def flushed() -> bool:
            return await self.runtime.relay.pending_count() == 0

        await wait_until(flushed)

    async def wait_for_lock_wait(self) -> None:
        """Wait until a transaction of the PostgreSQL database waits for a lock."""
        query = text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )

        async def waiting() -> bool:
            async with self.runtime.session() as session:
                count: int = (await session.exec(query)).one()[0]
            return count > 0

        await wait_until(waiting)

    async def review(
        self, cluster: Cluster = Cluster.CRIMINALIZATION
    ) -> dict[str, Any]:
        response = await self.client.get(
            f"/reviews/{self.review_id(cluster)}", headers=self.secretariat
        )
        assert response.status_code == 200, response.text
        review: dict[str, Any] = response.json()
        return review

    async def observations(self) -> list[dict[str, Any]]:
        response = await self.client.get(
            f"/reviews/{self.review_id()}/observations", headers=self.secretariat
        )
        assert response.status_code == 200, response.text
        observations: list[dict[str, Any]] = response.json()
        return observations

    def events(self, event_type: str) -> list[Envelope]:
        envelopes = [decode(d.value) for d in self.bus.log(TOPIC_REVIEW)]
        return [e for e in envelopes if e.type == event_type]


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[ReviewService]:
    bus = MemoryBus()
    clock = ManualClock()
    settings = ReviewSettings(data_dir=tmp_path)
    app = create_app(settings, bus, clock=clock)
    tokens = LocalIssuer.from_key_file(settings.signing_key_path())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://review.test"
        ) as client:
            yield ReviewService(app, bus, client, clock, tokens)


@pytest.fixture
async def awaiting_review(service: ReviewService) -> str:
    """A criminalization review whose lots are drawn, awaiting its questionnaire."""
    await service.publish(service.lots_drawn())
    await service.wait_for_handled(1)
    return service.review_id()


@pytest.fixture
async def started_review(service: ReviewService, awaiting_review: str) -> str:
    """A criminalization review in progress, reviewed by France and Brazil."""
    await service.publish(service.questionnaire_submitted())
    await service.wait_for_handled(2)
    return awaiting_review


@pytest.fixture
async def staffed_review(service: ReviewService, started_review: str) -> str:
    """A review in progress whose three focal points are named and whose two
    reviewing States each appointed an expert."""
    await service.name_focal_points()
    for state in REVIEWERS:
        response = await service.appoint_expert(state)
        assert response.status_code == 201, response.text
    return started_review
