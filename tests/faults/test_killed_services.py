"""Each service killed with SIGKILL mid-phase and restarted loses and repeats nothing.

The services run as separate processes on Tansu. The draw service is killed
right after the draw, while its outbox is still publishing the lots. The
questionnaire and review services are killed halfway through the
submissions, and the notify service halfway through the completions. Each
comes back on the same database. Afterwards every review exists once, every
response was submitted once, every review started and completed once, and
every State of every completed review received one notice.
"""

import asyncio
import signal
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from palermo.phase import (
    PhaseRun,
    answer_questionnaire,
    complete_review,
    for_each,
    list_reviews,
    open_and_draw,
    wait_for_reviews,
)
from palermo_shared.auth import LocalIssuer
from tests.e2e.processes import ServiceProcess
from tests.faults.conftest import CONSUMED_TOPICS, Topics
from tests.faults.phases import (
    DESK_REVIEW_COMPLETED,
    DESK_REVIEW_STARTED,
    QUESTIONNAIRE_SUBMITTED,
    event_ids_by_target,
    small_targets,
    wait_for_events,
)


async def _kill_and_restart(process: ServiceProcess) -> None:
    exit_code = await asyncio.to_thread(process.stop, signal.SIGKILL)
    assert exit_code == -signal.SIGKILL
    process.start()
    await asyncio.to_thread(process.wait_ready)


async def _halves_with_kills(
    items: list[Any],
    action: Callable[[Any], Awaitable[None]],
    victims: list[ServiceProcess],
) -> None:
    """Run half the items, then the rest while each victim is killed and restarted."""
    middle = len(items) // 2
    await for_each(items[:middle], action, concurrency=4)
    second_half = asyncio.create_task(for_each(items[middle:], action, concurrency=4))
    for process in victims:
        await _kill_and_restart(process)
    await second_half


async def _completion_notices(client: httpx.AsyncClient) -> Counter[tuple[str, str]]:
    """Count inbox notices of completed reviews per event and recipient State."""
    params = {"event_type": DESK_REVIEW_COMPLETED, "channel": "inbox", "limit": 1000}
    page = (await client.get("/api/v1/notify/notifications", params=params)).json()
    return Counter((n["event_id"], n["recipient_state"]) for n in page["items"])


async def _run_phase_with_kills(
    palermo: dict[str, ServiceProcess],
    client: httpx.AsyncClient,
    tokens: LocalIssuer,
    seed: str,
) -> tuple[PhaseRun, int]:
    run = await open_and_draw(client, tokens, years="III-VI", seed=seed)
    await _kill_and_restart(palermo["draw"])
    targets = small_targets(run, states=6)
    await _halves_with_kills(
        targets,
        lambda t: answer_questionnaire(client, run, t),
        [palermo["questionnaire"], palermo["review"]],
    )
    started = await wait_for_reviews(
        client, run.phase_id, status="in_progress", expected=len(targets)
    )
    await _halves_with_kills(
        started, lambda r: complete_review(client, run, r), [palermo["notify"]]
    )
    await wait_for_reviews(
        client, run.phase_id, status="completed", expected=len(targets)
    )
    return run, len(targets)


@pytest.mark.timeout(600)
async def test_each_service_killed_once(
    palermo: dict[str, ServiceProcess],
    client: httpx.AsyncClient,
    tokens: LocalIssuer,
    topics: Topics,
    seed: str,
) -> None:
    run, count = await _run_phase_with_kills(palermo, client, tokens, seed)
    phase = run.phase_id
    submitted = await wait_for_events(
        topics, "palermo.questionnaire", QUESTIONNAIRE_SUBMITTED, phase, count
    )
    review_records = await topics.read("palermo.review")
    completed = event_ids_by_target(review_records, DESK_REVIEW_COMPLETED, phase)
    await topics.wait_until_caught_up(CONSUMED_TOPICS)

    started = event_ids_by_target(review_records, DESK_REVIEW_STARTED, phase)
    reviews = await list_reviews(client, phase)
    review_keys = Counter(
        (r["state_under_review"], r["instrument"], r["cluster"]) for r in reviews
    )
    notices = await _completion_notices(client)

    assert len(reviews) == len(run.targets())
    assert set(review_keys.values()) == {1}
    assert set(submitted.values()) == {1}
    assert sum(submitted.values()) == count
    assert {started[target] for target in completed} == {1}
    assert set(completed.values()) == {1}
    assert sum(completed.values()) == count
    assert set(notices.values()) == {1}
    assert len(notices) == 3 * count
