"""A broker outage loses no submission and starts no desk review twice.

The services run as separate processes on Tansu. Half of a small phase's
questionnaires are submitted with the broker up. Then the broker is frozen
(SIGSTOP) for longer than the publish deadline, and the other half are
submitted through the gateway meanwhile. Every submission must be accepted during the
outage, and once the broker resumes every submission must lead to exactly
one started desk review, as the first half did without an outage.
"""

import asyncio
import time
from collections import Counter

import httpx
import pytest

from palermo.phase import (
    PhaseRun,
    ReviewTarget,
    answer_questionnaire,
    count_reviews,
    for_each,
    open_and_draw,
    synthetic_answers,
    wait_for_reviews,
)
from palermo_shared.auth import LocalIssuer, Role
from tests.e2e.processes import ServiceProcess
from tests.faults.conftest import FreezableBroker, Topics
from tests.faults.phases import (
    DESK_REVIEW_STARTED,
    QUESTIONNAIRE_SUBMITTED,
    event_ids_by_target,
    small_targets,
    wait_for_events,
)

# Longer than the services' publish deadline (PUBLISH_TIMEOUT_SECONDS, 10 s by
# default), so that publishes fail and the outbox relay has to retry.
OUTAGE_SECONDS = 15.0


async def _submit_during_outage(
    client: httpx.AsyncClient, run: PhaseRun, target: ReviewTarget
) -> list[int]:
    """Read the form, save a draft and submit it; return the three statuses.

    No step is retried, so a failure caused by the outage shows in a status.
    """
    focal_point = run.tokens.headers(Role.FOCAL_POINT, target.state)
    base = f"/api/v1/questionnaire/phases/{run.phase_id}"
    form = await client.get(
        f"{base}/questionnaires/{target.instrument}/{target.cluster}",
        params={"state": target.state},
        headers=focal_point,
    )
    answers = synthetic_answers(form.json()["sections"], target.state)
    url = f"{base}/responses/{target.state}/{target.instrument}/{target.cluster}"
    saved = await client.put(url, json={"answers": answers}, headers=focal_point)
    submitted = await client.post(
        f"{url}/submit",
        headers={**focal_point, "If-Match": saved.headers.get("ETag", "")},
    )
    return [form.status_code, saved.status_code, submitted.status_code]


@pytest.mark.timeout(300)
async def test_outage_loses_no_submission(
    palermo: dict[str, ServiceProcess],
    broker: FreezableBroker,
    client: httpx.AsyncClient,
    tokens: LocalIssuer,
    topics: Topics,
    seed: str,
) -> None:
    run = await open_and_draw(client, tokens, years="III-VI", seed=seed)
    targets = small_targets(run, states=6)
    before, during = targets[: len(targets) // 2], targets[len(targets) // 2 :]
    await for_each(
        before, lambda t: answer_questionnaire(client, run, t), concurrency=4
    )
    await wait_for_reviews(
        client, run.phase_id, status="in_progress", expected=len(before)
    )

    broker.freeze()
    frozen_at = time.monotonic()
    try:
        statuses = [await _submit_during_outage(client, run, t) for t in during]
        started_in_outage = await count_reviews(client, run.phase_id, "in_progress")
        await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - frozen_at)))
    finally:
        broker.resume()

    started = await wait_for_reviews(
        client, run.phase_id, status="in_progress", expected=len(targets)
    )
    started_events = await wait_for_events(
        topics, "palermo.review", DESK_REVIEW_STARTED, run.phase_id, len(targets)
    )
    submitted_events = event_ids_by_target(
        await topics.read("palermo.questionnaire"),
        QUESTIONNAIRE_SUBMITTED,
        run.phase_id,
    )

    # The API accepted every step of every submission while the broker was away.
    assert statuses == [[200, 200, 200]] * len(during)
    # Nothing reached the review service during the outage.
    assert started_in_outage == len(before)
    assert "outbox: publishing failed" in palermo["questionnaire"].log()
    # After it, one desk review per submission, as without an outage.
    review_keys = Counter(
        ReviewTarget(r["state_under_review"], r["instrument"], r["cluster"])
        for r in started
    )
    assert set(review_keys) == set(targets)
    assert max(review_keys.values()) == 1
    assert set(started_events) == set(targets)
    assert max(started_events.values()) == 1
    assert set(submitted_events) == set(targets)
    assert max(submitted_events.values()) == 1
