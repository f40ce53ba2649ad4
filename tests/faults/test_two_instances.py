"""Two instances of one service share the work and lose none when one dies.

The services run as separate processes on Tansu, with a second review
service process in the same consumer group and on the same database (one
SQLite file, or one PostgreSQL database under `--database=postgresql`).
Halfway through a small phase's submissions the second instance is killed
with SIGKILL, so its partitions move to the first in a rebalance, possibly
with a batch handled but not committed. Every event must still have been
handled once in effect: one desk review per drawn State, instrument and
cluster, one start per submission, and one notification per recipient of
each start.
"""

import asyncio
import re
import signal
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from palermo.phase import (
    PhaseRun,
    ReviewTarget,
    answer_questionnaire,
    for_each,
    list_reviews,
    open_and_draw,
    request,
    wait_for_reviews,
)
from palermo_shared.auth import LocalIssuer
from tests.e2e.processes import ServiceProcess
from tests.faults.conftest import CONSUMED_TOPICS, Topics
from tests.faults.phases import (
    DESK_REVIEW_STARTED,
    small_targets,
    wait_for_events,
)

# A batch in which the consumer handled at least one event.
HANDLED = re.compile(r"consumer review committed a batch of \d+ messages: [1-9]\d* ")


@pytest.fixture
def second_review(
    palermo: dict[str, ServiceProcess],
    service_env: Callable[[str], dict[str, str]],
    tmp_path: Path,
) -> Iterator[ServiceProcess]:
    """Start a second review service process next to the one behind the gateway."""
    log_dir = tmp_path / "second"
    log_dir.mkdir()
    process = ServiceProcess("review", service_env("review"), log_dir)
    process.start()
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop(signal.SIGKILL)


async def _wait_for_handled(process: ServiceProcess, *, timeout: float = 60.0) -> int:
    """Wait until `process` has handled events, and return in how many batches."""
    deadline = time.monotonic() + timeout
    while (handled := len(HANDLED.findall(process.log()))) == 0:
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    return handled


async def _wait_for_all_reviews(
    client: httpx.AsyncClient, run: PhaseRun, *, timeout: float = 120.0
) -> list[dict[str, Any]]:
    """Wait until the phase has a desk review per drawn target; return them all."""
    deadline = time.monotonic() + timeout
    expected = len(run.targets())
    while len(reviews := await list_reviews(client, run.phase_id)) < expected:
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    return reviews


async def _started_notices(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    params = {"event_type": DESK_REVIEW_STARTED, "channel": "inbox", "limit": 1000}
    response = await request(
        client, "GET", "/api/v1/notify/notifications", params=params
    )
    page: dict[str, list[dict[str, Any]]] = response.json()
    return page["items"]


def _review_keys(reviews: list[dict[str, Any]]) -> Counter[ReviewTarget]:
    return Counter(
        ReviewTarget(r["state_under_review"], r["instrument"], r["cluster"])
        for r in reviews
    )


@pytest.mark.timeout(300)
async def test_instance_killed_mid_phase(
    palermo: dict[str, ServiceProcess],
    second_review: ServiceProcess,
    client: httpx.AsyncClient,
    tokens: LocalIssuer,
    topics: Topics,
    seed: str,
) -> None:
    run = await open_and_draw(client, tokens, years="III-VI", seed=seed)
    targets = small_targets(run, states=8)
    middle = len(targets) // 2
    await for_each(
        targets[:middle], lambda t: answer_questionnaire(client, run, t), concurrency=4
    )
    second_half = asyncio.create_task(
        for_each(
            targets[middle:],
            lambda t: answer_questionnaire(client, run, t),
            concurrency=4,
        )
    )
    handled_by_second = await _wait_for_handled(second_review)
    await asyncio.to_thread(second_review.stop, signal.SIGKILL)
    await second_half

    started = await wait_for_reviews(
        client, run.phase_id, status="in_progress", expected=len(targets)
    )
    reviews = await _wait_for_all_reviews(client, run)
    started_events = await wait_for_events(
        topics, "palermo.review", DESK_REVIEW_STARTED, run.phase_id, len(targets)
    )
    await topics.wait_until_caught_up({"notify": CONSUMED_TOPICS["notify"]})
    notices = await _started_notices(client)

    # Both instances took a share of the events before one was killed.
    assert handled_by_second > 0
    assert HANDLED.search(palermo["review"].log())
    # One desk review per drawn State, instrument and cluster, none twice.
    all_keys = _review_keys(reviews)
    assert set(all_keys) == set(run.targets())
    assert max(all_keys.values()) == 1
    # One start per submission, in the database and on the topic.
    started_keys = _review_keys(started)
    assert set(started_keys) == set(targets)
    assert max(started_keys.values()) == 1
    assert set(started_events) == set(targets)
    assert max(started_events.values()) == 1
    # Each start was notified once to each of its recipients.
    recipients: dict[str, list[str]] = defaultdict(list)
    for notice in notices:
        recipients[notice["event_id"]].append(notice["recipient_state"])
    assert len(recipients) == sum(started_events.values())
    assert all(len(states) == len(set(states)) for states in recipients.values())
