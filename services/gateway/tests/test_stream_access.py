"""The event stream shows each caller the events it may see, resumable by id."""

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from palermo_gateway.events import GAP_EVENT_TYPE, EventStream
from palermo_shared.auth import LocalIssuer, Principal, Role
from palermo_shared.bus import Record
from palermo_shared.bus.memory import MemoryBus
from palermo_shared.contracts import (
    DeskReviewStarted,
    LotsDrawn,
    QuestionnaireSubmitted,
    ReviewOutcomePublished,
    ReviewOutcomeSubmitted,
)
from palermo_shared.contracts.draw import DrawnReviewer
from palermo_shared.contracts.review import OutcomeObservation
from palermo_shared.events import TOPIC_DRAW, EventPayload, encode, new_event

NOW = dt.datetime(2026, 12, 4, tzinfo=dt.UTC)


def _record(payload: EventPayload) -> Record:
    # One topic and key for every event, so the stream numbers them in the
    # order they are appended.
    envelope = new_event(payload, source="/test", subject="test")
    return Record(topic=TOPIC_DRAW, key=envelope.subject, value=encode(envelope))


def _reviewer(iso3: str) -> DrawnReviewer:
    return DrawnReviewer(
        iso3=iso3,
        regional_group="african",
        legal_system=None,
        role="same_regional_group",
    )


def _lots_drawn() -> Record:
    payload = LotsDrawn(
        phase_id="p1",
        instrument="convention",
        state_under_review="KEN",
        regional_group="african",
        clusters=["criminalization"],
        reviewers=[_reviewer("NGA"), _reviewer("ZAF")],
        similar_legal_system=True,
    )
    return _record(payload)


def _submitted(state: str) -> Record:
    payload = QuestionnaireSubmitted(
        response_id="r1",
        questionnaire_id="q1",
        phase_id="p1",
        state=state,
        instrument="convention",
        cluster="criminalization",
        submitted_at=NOW,
    )
    return _record(payload)


def _review_started(state: str, reviewers: list[str]) -> Record:
    payload = DeskReviewStarted(
        review_id="d1",
        phase_id="p1",
        state_under_review=state,
        instrument="convention",
        cluster="criminalization",
        reviewers=reviewers,
    )
    return _record(payload)


def _outcome() -> Record:
    payload = ReviewOutcomeSubmitted(
        review_id="d1",
        phase_id="p1",
        state_under_review="GHA",
        instrument="convention",
        cluster="criminalization",
        working_group="international_cooperation_and_technical_assistance",
        submitted_to=["working_group"],
        summary="Summary of the review.",
        observations=[OutcomeObservation(article=5, kind="good_practice", text="t")],
        comments="Comments of the State under review.",
        submitted_at=NOW,
    )
    return _record(payload)


def _outcome_published() -> Record:
    payload = ReviewOutcomePublished(
        review_id="d1",
        phase_id="p1",
        state_under_review="GHA",
        instrument="convention",
        cluster="criminalization",
        summary="Summary of the review.",
        observations=[],
        decided_at=NOW,
    )
    return _record(payload)


def _all_events() -> list[Record]:
    # Sequence numbers 1 to 6, in this order.
    return [
        _lots_drawn(),
        _submitted("KEN"),
        _submitted("GHA"),
        _review_started("GHA", ["KEN", "ZAF"]),
        _outcome(),
        _submitted("NGA"),
    ]


async def _read(
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
        async for line in response.aiter_lines():
            if line:
                field, _, value = line.partition(": ")
                current[field] = value
                continue
            if "data" in current:
                events.append(current)
            current = {}
            if len(events) == count:
                return events
    return events


@pytest.fixture
async def published(
    serve_gateway, bus: MemoryBus, tokens: LocalIssuer
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a gateway that has streamed `_all_events`."""
    async with (
        serve_gateway(event_history_size=100) as url,
        httpx.AsyncClient(
            base_url=url, timeout=10, headers=tokens.headers(Role.SECRETARIAT)
        ) as client,
    ):
        await bus.append(_all_events())
        await asyncio.wait_for(_read(client, 6), 10)
        yield client


@pytest.mark.parametrize(
    ("role", "state", "expected_ids"),
    [
        (Role.SECRETARIAT, None, ["1", "2", "3", "4", "5", "6"]),
        (Role.FOCAL_POINT, "KEN", ["1", "2", "4"]),
        (Role.EXPERT, "NGA", ["1", "6"]),
        (Role.FOCAL_POINT, "GHA", ["3", "4", "5"]),
        (Role.OBSERVER, None, ["1", "5"]),
    ],
)
async def test_stream_filtered_by_role(
    published: httpx.AsyncClient,
    tokens: LocalIssuer,
    role: Role,
    state: str | None,
    expected_ids: list[str],
) -> None:
    events = await asyncio.wait_for(
        _read(published, len(expected_ids), headers=tokens.headers(role, state)), 10
    )

    assert [event["id"] for event in events] == expected_ids


async def test_observer_sees_published_parts_only(
    published: httpx.AsyncClient, tokens: LocalIssuer
) -> None:
    events = await asyncio.wait_for(
        _read(published, 2, headers=tokens.headers(Role.OBSERVER)), 10
    )

    outcome = json.loads(events[1]["data"])["data"]
    assert outcome["review_id"] == "d1"
    assert "summary" not in outcome
    assert "observations" not in outcome
    assert "comments" not in outcome


async def test_observer_sees_publication_decision(
    gateway: httpx.AsyncClient, bus: MemoryBus, tokens: LocalIssuer
) -> None:
    reader = asyncio.create_task(
        _read(gateway, 2, headers=tokens.headers(Role.OBSERVER))
    )
    await asyncio.sleep(0.2)
    await bus.append([_outcome(), _outcome_published()])

    submitted, decided = await asyncio.wait_for(reader, 10)

    assert "summary" not in json.loads(submitted["data"])["data"]
    decision = json.loads(decided["data"])["data"]
    assert decision["summary"] == "Summary of the review."
    assert decision["observations"] == []


async def test_focal_point_sees_outcome_whole(
    published: httpx.AsyncClient, tokens: LocalIssuer
) -> None:
    events = await asyncio.wait_for(
        _read(published, 3, headers=tokens.headers(Role.FOCAL_POINT, "GHA")), 10
    )

    outcome = json.loads(events[2]["data"])["data"]
    assert outcome["comments"] == "Comments of the State under review."


async def test_filtered_stream_resumes_after_hidden_events(
    published: httpx.AsyncClient, tokens: LocalIssuer
) -> None:
    headers = {**tokens.headers(Role.FOCAL_POINT, "KEN"), "Last-Event-ID": "2"}

    events = await asyncio.wait_for(_read(published, 1, headers=headers), 10)

    assert events[0]["id"] == "4"


async def test_filtered_stream_by_query_token(
    published: httpx.AsyncClient, tokens: LocalIssuer
) -> None:
    published.headers.pop("Authorization")
    token = tokens.token(Role.EXPERT, "NGA")

    events = await asyncio.wait_for(
        _read(published, 2, params={"access_token": token}), 10
    )

    assert [event["id"] for event in events] == ["1", "6"]


async def test_filtered_stream_delivers_live_events(
    gateway: httpx.AsyncClient, bus: MemoryBus, tokens: LocalIssuer
) -> None:
    reader = asyncio.create_task(
        _read(gateway, 1, headers=tokens.headers(Role.FOCAL_POINT, "NGA"))
    )
    await asyncio.sleep(0.2)
    await bus.append([_submitted("KEN"), _submitted("GHA"), _submitted("NGA")])

    events = await asyncio.wait_for(reader, 10)

    assert events[0]["id"] == "3"


async def test_paused_filtered_client_blocks_nobody() -> None:
    bus = MemoryBus()
    stream = EventStream(bus, history_size=3)
    runner = asyncio.create_task(stream.run())
    await asyncio.wait_for(stream.ready.wait(), 5)
    kenya = Principal(subject="fp", role=Role.FOCAL_POINT, state="KEN")
    paused = stream.follow(last_event_id=None, principal=kenya)
    everyone = stream.follow(last_event_id=None)
    first = asyncio.create_task(anext(paused))
    await bus.append([_submitted("KEN")])
    assert (await asyncio.wait_for(first, 5)).sequence == 1

    await bus.append([_submitted(state) for state in ["GHA", "KEN"] * 4])
    while stream.counts["palermo.questionnaire.questionnaire_submitted"] < 9:
        await asyncio.sleep(0.01)
    followed = [await asyncio.wait_for(anext(everyone), 5) for _ in range(3)]
    resumed = [await asyncio.wait_for(anext(paused), 5) for _ in range(2)]
    runner.cancel()

    assert [event.sequence for event in followed] == [7, 8, 9]
    assert resumed[0].type == GAP_EVENT_TYPE
    assert json.loads(resumed[0].data) == {"first_missing": 2, "last_missing": 6}
    assert resumed[1].sequence == 7
