"""The dashboard rebuilt from the topics equals what the live gateway serves.

The services and the gateway run as separate processes on Tansu. After a
small phase has run until its desk reviews started, the projection is
rebuilt in this test from every record of every domain topic, read from
the first offset, and compared with what the gateway serves. Then every
record is published a second time: the gateway, which reads each event
twice, and a projection fed the whole log twice must show the same figures
as before, apart from the count of duplicates they ignored.
"""

import asyncio
import time
from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter

from palermo.phase import (
    answer_questionnaire,
    for_each,
    open_and_draw,
    request,
    wait_for_reviews,
)
from palermo_gateway.dashboard.feed import reference_regional_groups
from palermo_gateway.dashboard.projection import Dashboard, DashboardProjection
from palermo_shared.auth import LocalIssuer
from palermo_shared.bus import Delivery, Record
from palermo_shared.events import DOMAIN_TOPICS, decode
from tests.e2e.processes import ServiceProcess
from tests.faults.conftest import Topics
from tests.faults.phases import DESK_REVIEW_STARTED, small_targets, wait_for_events

DASHBOARD = TypeAdapter(Dashboard)


async def _run_small_phase(
    client: httpx.AsyncClient, tokens: LocalIssuer, topics: Topics, seed: str
) -> str:
    run = await open_and_draw(client, tokens, years="III-VI", seed=seed)
    targets = small_targets(run, states=3)
    await for_each(
        targets, lambda t: answer_questionnaire(client, run, t), concurrency=4
    )
    await wait_for_reviews(
        client, run.phase_id, status="in_progress", expected=len(targets)
    )
    await wait_for_events(
        topics, "palermo.review", DESK_REVIEW_STARTED, run.phase_id, len(targets)
    )
    return run.phase_id


async def _log(topics: Topics) -> list[Delivery]:
    return [record for topic in DOMAIN_TOPICS for record in await topics.read(topic)]


def _rebuild(log: list[Delivery], phase_id: str, times: int = 1) -> Any:
    projection = DashboardProjection(reference_regional_groups())
    for _ in range(times):
        projection.apply_all(decode(record.value) for record in log)
    return DASHBOARD.dump_python(projection.dashboard(phase_id), mode="json")


async def _served(
    client: httpx.AsyncClient, phase_id: str, records: int, *, timeout: float = 60.0
) -> Any:
    """Return the gateway's figures once it has read `records` records."""
    deadline = time.monotonic() + timeout
    while True:
        response = await request(
            client, "GET", "/api/v1/dashboard", params={"phase_id": phase_id}
        )
        body = response.json() if response.status_code == 200 else None
        read = body and body["events_applied"] + body["duplicates_ignored"]
        if (read and read >= records) or time.monotonic() > deadline:
            return body
        await asyncio.sleep(0.5)


def _reviews_started(figures: dict[str, Any]) -> int:
    rows = figures["current"]["by_instrument"]
    return sum(row["reached"]["review_started"] for row in rows)


def _without_duplicates(figures: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in figures.items() if k != "duplicates_ignored"}


@pytest.mark.timeout(300)
async def test_rebuild_equals_live(
    palermo: dict[str, ServiceProcess],
    client: httpx.AsyncClient,
    tokens: LocalIssuer,
    topics: Topics,
    seed: str,
) -> None:
    phase_id = await _run_small_phase(client, tokens, topics, seed)
    log = await _log(topics)
    live = await _served(client, phase_id, len(log))
    rebuilt = _rebuild(log, phase_id)

    await topics.publish(
        [Record(r.topic, r.key or "", r.value or b"", r.headers) for r in log]
    )
    replayed_log = await _log(topics)
    replayed = await _served(client, phase_id, len(replayed_log))
    rebuilt_after_replay = _rebuild(replayed_log, phase_id)
    applied_twice = _rebuild(log, phase_id, times=2)

    # The gateway read every event once, and its figures are the rebuild's.
    assert live is not None
    assert live == rebuilt
    assert rebuilt["current"]["draws"]["lots_drawn"] > 0
    assert _reviews_started(rebuilt) > 0
    # Every record was published again and the gateway read the copies.
    assert len(replayed_log) == 2 * len(log)
    assert replayed is not None
    assert replayed["duplicates_ignored"] >= len(log)
    # Reading every event a second time changed no figure.
    assert replayed == rebuilt_after_replay
    assert _without_duplicates(replayed) == _without_duplicates(live)
    assert _without_duplicates(applied_twice) == _without_duplicates(rebuilt)
