"""Every event delivered a second time changes no projection.

The services run as separate processes on Tansu. After a small phase has
been run to completion and every consumer group has committed everything,
each record of every domain topic is published again, unchanged (same key,
value and headers), so each service's consumers receive every event twice.
Once they have committed the copies too, the desk reviews, the
notifications and the questionnaire responses read through the gateway
must be exactly what they were before.
"""

from typing import Any

import httpx
import pytest

from palermo.phase import (
    PhaseRun,
    ReviewTarget,
    answer_questionnaire,
    complete_review,
    for_each,
    list_reviews,
    open_and_draw,
    request,
    wait_for_reviews,
)
from palermo_shared.auth import LocalIssuer
from palermo_shared.bus import Record
from palermo_shared.events import DOMAIN_TOPICS
from tests.e2e.processes import ServiceProcess
from tests.faults.conftest import CONSUMED_TOPICS, Topics
from tests.faults.phases import (
    DESK_REVIEW_COMPLETED,
    canonical,
    small_targets,
    wait_for_events,
)


async def _all_notifications(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        params = {"limit": 1000, "offset": len(items)}
        response = await request(
            client, "GET", "/api/v1/notify/notifications", params=params
        )
        page = response.json()
        items.extend(page["items"])
        if len(items) >= page["total"] or not page["items"]:
            return sorted(items, key=lambda n: str(n["id"]))


async def _response(
    client: httpx.AsyncClient, run: PhaseRun, target: ReviewTarget
) -> dict[str, Any]:
    url = (
        f"/api/v1/questionnaire/phases/{run.phase_id}/responses/"
        f"{target.state}/{target.instrument}/{target.cluster}"
    )
    current = await request(client, "GET", url)
    versions = await request(client, "GET", f"{url}/versions")
    return {"current": current.json(), "versions": versions.json()}


async def _snapshot(
    client: httpx.AsyncClient, run: PhaseRun, targets: list[ReviewTarget]
) -> dict[str, str]:
    """Return what the gateway serves of each projection, as comparable text."""
    responses = [await _response(client, run, t) for t in targets]
    return {
        "reviews": canonical(await list_reviews(client, run.phase_id)),
        "notifications": canonical(await _all_notifications(client)),
        "responses": canonical(responses),
    }


async def _run_small_phase(
    client: httpx.AsyncClient, tokens: LocalIssuer, topics: Topics, seed: str
) -> tuple[PhaseRun, list[ReviewTarget]]:
    run = await open_and_draw(client, tokens, years="III-VI", seed=seed)
    targets = small_targets(run, states=4)
    await for_each(
        targets, lambda t: answer_questionnaire(client, run, t), concurrency=4
    )
    started = await wait_for_reviews(
        client, run.phase_id, status="in_progress", expected=len(targets)
    )
    await for_each(started, lambda r: complete_review(client, run, r), concurrency=4)
    await wait_for_reviews(
        client, run.phase_id, status="completed", expected=len(targets)
    )
    # The review service publishes its events in the order it recorded them,
    # so once the completions are out, every event of the phase is.
    await wait_for_events(
        topics, "palermo.review", DESK_REVIEW_COMPLETED, run.phase_id, len(targets)
    )
    return run, targets


@pytest.mark.timeout(300)
async def test_replay_changes_no_projection(
    palermo: dict[str, ServiceProcess],
    client: httpx.AsyncClient,
    tokens: LocalIssuer,
    topics: Topics,
    seed: str,
) -> None:
    run, targets = await _run_small_phase(client, tokens, topics, seed)
    await topics.wait_until_caught_up(CONSUMED_TOPICS)
    before = await _snapshot(client, run, targets)

    originals = [r for topic in DOMAIN_TOPICS for r in await topics.read(topic)]
    await topics.publish(
        [Record(r.topic, r.key or "", r.value or b"", r.headers) for r in originals]
    )
    await topics.wait_until_caught_up(CONSUMED_TOPICS)
    after = await _snapshot(client, run, targets)
    replayed = [r for topic in DOMAIN_TOPICS for r in await topics.read(topic)]
    dead_letters = await topics.read("palermo.deadletter")

    # The copies were published and every consumer group committed them.
    assert len(replayed) == 2 * len(originals)
    assert dead_letters == []
    # Handling them again changed nothing anyone can read.
    assert after["reviews"] == before["reviews"]
    assert after["notifications"] == before["notifications"]
    assert after["responses"] == before["responses"]
