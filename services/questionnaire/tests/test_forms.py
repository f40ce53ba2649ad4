"""Questionnaire definitions: published versions never change."""

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from palermo_questionnaire.domain.forms import (
    PUBLISHED_FINGERPRINTS,
    SECTION_BUILDERS,
    fingerprint,
    questionnaire_for,
)
from palermo_questionnaire.main import create_app
from palermo_questionnaire.settings import QuestionnaireSettings
from palermo_shared.auth import LocalIssuer, Role
from palermo_shared.bus import Record
from palermo_shared.bus.memory import MemoryBus
from palermo_shared.contracts import ReviewPhaseOpened
from palermo_shared.events import Envelope, encode, new_event, topic_of
from palermo_shared.reference.instruments import (
    WORKING_GROUPS,
    WORKPLAN,
    Cluster,
    Instrument,
)


@pytest.mark.parametrize("version", sorted(SECTION_BUILDERS))
def test_published_version_unchanged(version) -> None:
    assert fingerprint(version) == PUBLISHED_FINGERPRINTS[version]


def test_every_version_has_fingerprint() -> None:
    assert set(PUBLISHED_FINGERPRINTS) == set(SECTION_BUILDERS)


def test_concise_version_one_question_per_article() -> None:
    form = questionnaire_for(
        Instrument.FIREARMS, Cluster.CRIMINALIZATION, party_to_uncac=True, version=1
    )

    assert [q.id for q in form.questions] == [
        "article-3.implementation",
        "article-5.implementation",
        "article-8.implementation",
    ]


async def test_phase_keeps_its_version(tmp_path) -> None:
    """A phase opened on version 1 keeps it after version 2 becomes the default."""
    opened = ReviewPhaseOpened(
        phase_id="phase-1",
        years="III-VI",
        clusters=list(WORKPLAN["III-VI"].clusters),
        instruments=[Instrument.CONVENTION],
        working_groups={Instrument.CONVENTION: WORKING_GROUPS[Instrument.CONVENTION]},
        draw_date=dt.date(2025, 1, 1),
        states_under_review={Instrument.CONVENTION: ["ITA"]},
    )
    envelope = new_event(opened, source="/palermo/draw", subject="phase-1")
    concise = QuestionnaireSettings(data_dir=tmp_path, questionnaire_version=1)
    async with running(concise) as (client, bus):
        await bus.append([record_of(envelope)])
        first = await questionnaire_when_served(client)

    async with running(QuestionnaireSettings(data_dir=tmp_path)) as (client, _bus):
        later = await questionnaire_when_served(client)

    assert first["id"] == "convention.criminalization.v1"
    assert later["id"] == "convention.criminalization.v1"


async def questionnaire_when_served(client: httpx.AsyncClient) -> dict[str, Any]:
    path = "/phases/phase-1/questionnaires/convention/criminalization"
    for _ in range(250):
        response = await client.get(path, params={"state": "ITA"})
        if response.status_code == 200:
            body: dict[str, Any] = response.json()
            return body
        await asyncio.sleep(0.02)
    raise AssertionError(f"{path} still {response.status_code} after 5 s")


def record_of(envelope: Envelope) -> Record:
    return Record(topic=topic_of(envelope), key="phase-1", value=encode(envelope))


@contextlib.asynccontextmanager
async def running(
    settings: QuestionnaireSettings,
) -> AsyncIterator[tuple[httpx.AsyncClient, MemoryBus]]:
    bus = MemoryBus()
    app = create_app(settings, bus)
    tokens = LocalIssuer.from_key_file(settings.signing_key_path())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://questionnaire.test",
            headers=tokens.headers(Role.SECRETARIAT),
        ) as client:
            yield client, bus
