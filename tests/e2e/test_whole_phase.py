"""A whole review phase on real data, each service a separate process on Kafka.

The phase covers every State party and all four instruments for years
III-VI. While questionnaires are being submitted, the questionnaire service
is stopped with SIGTERM (a graceful shutdown, with requests in flight) and
the review service is killed with SIGKILL, and each is restarted. One
reviewer is then redrawn. While reviews are being completed, the notify
service is killed and restarted. The outcome is read back through the
gateway.
"""

import asyncio
import datetime as dt
import signal
from collections import Counter, defaultdict
from collections.abc import Iterator
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
    phase_client,
    wait_for_reviews,
)
from palermo_shared.clock import utcnow
from palermo_shared.reference.instruments import Instrument
from palermo_shared.reference.states import load_states
from tests.e2e.processes import (
    SERVICES,
    ServiceProcess,
    TansuBroker,
    WebhookReceiver,
    local_issuer,
    start_palermo,
)

DRAW_DATE = "2026-12-04"
LOTS_DRAWN = "palermo.draw.lots_drawn"
COMPLETED = "palermo.review.desk_review_completed"
REVIEWERS_CHANGED = "palermo.review.desk_review_reviewers_changed"
WEBHOOK_STATES = ("FRA", "KEN", "BRA")


@pytest.fixture(scope="module")
def palermo(
    tmp_path_factory: pytest.TempPathFactory, postgres_server: Any
) -> Iterator[dict[str, ServiceProcess]]:
    work_dir = tmp_path_factory.mktemp("palermo-e2e")
    broker = TansuBroker(work_dir / "tansu.log")
    processes: dict[str, ServiceProcess] = {}
    try:
        database_urls = None
        if postgres_server is not None:
            database_urls = {
                name: postgres_server.url(postgres_server.database_for(name))
                for name in (*SERVICES, "gateway")
            }
        processes = start_palermo(broker, work_dir, database_urls)
        yield processes
    finally:
        for process in processes.values():
            process.stop()
        broker.stop()


@pytest.fixture(scope="module")
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()


async def _restart(process: ServiceProcess, stop_signal: signal.Signals) -> None:
    stops_before = process.log().count(f"service {process.name} stopped")
    exit_code = await asyncio.to_thread(process.stop, stop_signal)
    if stop_signal is signal.SIGTERM:
        stops = process.log().count(f"service {process.name} stopped")
        assert exit_code == 0
        assert stops == stops_before + 1, f"{process.name} did not shut down cleanly"
    process.start()
    await asyncio.to_thread(process.wait_ready)


async def _halves_with_restarts(
    items: list[Any],
    action: Any,
    restarts: list[tuple[ServiceProcess, signal.Signals]],
) -> None:
    """Run half the items, then the rest while each process is stopped and restarted."""
    middle = len(items) // 2
    await for_each(items[:middle], action, concurrency=16)
    second_half = asyncio.create_task(for_each(items[middle:], action, concurrency=16))
    for process, stop_signal in restarts:
        await _restart(process, stop_signal)
    await second_half


async def _all_notifications(
    client: httpx.AsyncClient, **filters: str
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        params = {**filters, "limit": 1000, "offset": len(items)}
        page = (await client.get("/api/v1/notify/notifications", params=params)).json()
        items.extend(page["items"])
        if len(items) >= page["total"]:
            return items


async def _wait_for_notifications(
    client: httpx.AsyncClient, expected: int, **filters: str
) -> list[dict[str, Any]]:
    for _ in range(600):
        items = await _all_notifications(client, **filters)
        if len(items) >= expected:
            return items
        await asyncio.sleep(0.5)
    return items


def _expected_pairs() -> set[tuple[str, str]]:
    day = dt.date.fromisoformat(DRAW_DATE)
    return {
        (state.iso3, instrument.value)
        for state in load_states().values()
        for instrument in Instrument
        if state.regional_group and state.party_to(instrument, day)
    }


def _check_draw_rules(run: PhaseRun) -> None:
    registry = load_states()
    day = dt.date.fromisoformat(DRAW_DATE)
    for a in run.draw["assignments"]:
        state = registry[a["state_under_review"]]
        same, other = (registry[r] for r in a["reviewers"])
        instrument = Instrument(a["instrument"])
        assert state.iso3 not in a["reviewers"]
        assert same.party_to(instrument, day)
        assert other.party_to(instrument, day)
        assert same.regional_group == state.regional_group
        assert other.regional_group not in (None, state.regional_group)


@pytest.mark.timeout(1200)
async def test_whole_phase_over_kafka(
    palermo: dict[str, ServiceProcess], webhook_receiver: WebhookReceiver
) -> None:
    tokens = local_issuer(palermo["gateway"].data_dir)
    async with phase_client(palermo["gateway"].url, tokens, timeout=60) as client:
        for state in WEBHOOK_STATES:
            subscription = {"state": state, "url": webhook_receiver.url}
            response = await client.post(
                "/api/v1/notify/subscriptions", json=subscription
            )
            assert response.status_code == 201, response.text

        run = await open_and_draw(
            client, tokens, years="III-VI", seed="e2e", draw_date=DRAW_DATE
        )
        targets = run.targets()
        await _halves_with_restarts(
            targets,
            lambda t: answer_questionnaire(client, run, t),
            [
                (palermo["questionnaire"], signal.SIGTERM),
                (palermo["review"], signal.SIGKILL),
            ],
        )
        await wait_for_reviews(
            client, run.phase_id, status="in_progress", expected=len(targets)
        )
        redrawn, replaced = await _redraw_one_reviewer(client, run)
        await _wait_for_handover(client, run.phase_id, redrawn)
        started = await wait_for_reviews(
            client, run.phase_id, status="in_progress", expected=len(targets)
        )
        await _halves_with_restarts(
            started,
            lambda r: complete_review(client, run, r),
            [(palermo["notify"], signal.SIGKILL)],
        )
        await wait_for_reviews(
            client, run.phase_id, status="completed", expected=len(targets)
        )

        reviews = await list_reviews(client, run.phase_id)
        lots_notices = await _wait_for_notifications(
            client,
            3 * len(run.draw["assignments"]),
            event_type=LOTS_DRAWN,
            channel="inbox",
        )
        completion_notices = await _wait_for_notifications(
            client, 3 * len(targets), event_type=COMPLETED, channel="inbox"
        )
        expected_webhooks = sum(
            len(set(WEBHOOK_STATES) & {r["state_under_review"], *r["reviewers"]})
            for r in reviews
        )
        webhooks = await _wait_for_notifications(
            client,
            expected_webhooks,
            event_type=COMPLETED,
            channel="webhook",
            status="delivered",
        )
        # Each review of a redrawn assignment (two clusters) notified four States.
        handovers = await _wait_for_notifications(
            client, 4 * 2 * len(redrawn), event_type=REVIEWERS_CHANGED, channel="inbox"
        )

    # The draw covers every party with a regional group, under the rules.
    drawn_pairs = {
        (a["state_under_review"], a["instrument"]) for a in run.draw["assignments"]
    }
    assert drawn_pairs == _expected_pairs()
    _check_draw_rules(run)
    not_drawn = {n["state"] for n in run.draw["not_drawn"]}
    assert {"EUU", "VAT", "COK", "NIU"} <= not_drawn
    assert all("regional group" in n["reason"] for n in run.draw["not_drawn"])

    # One completed review per drawn pair and cluster, none missing, none twice.
    keys = Counter(
        ReviewTarget(r["state_under_review"], r["instrument"], r["cluster"])
        for r in reviews
    )
    assert set(keys) == set(targets)
    assert max(keys.values()) == 1
    assert all(r["status"] == "completed" for r in reviews)
    reviewers_of = {
        (a["state_under_review"], a["instrument"]): a["reviewers"]
        for a in run.draw["assignments"]
    } | redrawn
    assert all(
        r["reviewers"] == reviewers_of[(r["state_under_review"], r["instrument"])]
        for r in reviews
    )

    # Every State concerned was notified once of each step, despite the restarts.
    _assert_three_recipients_once(lots_notices, len(run.draw["assignments"]))
    _assert_three_recipients_once(completion_notices, len(targets))
    _assert_handover_told(handovers, redrawn, replaced)
    assert len(webhooks) == expected_webhooks
    received_ids = [
        w["headers"]["palermo-notification-id"] for w in webhook_receiver.received
    ]
    completion_webhook_ids = {w["id"] for w in webhooks}
    assert completion_webhook_ids <= set(received_ids)


async def _redraw_one_reviewer(
    client: httpx.AsyncClient, run: PhaseRun
) -> tuple[dict[tuple[str, str], list[str]], str]:
    """Have one State under review redraw its other-group reviewer at a session.

    Returns the reviewers of every assignment the redraw changed, and the
    replaced reviewer.
    """
    target = next(a for a in run.draw["assignments"] if a["instrument"] == "convention")
    state, replaced = target["state_under_review"], target["reviewers"][1]
    phase_url = f"/api/v1/draw/phases/{run.phase_id}"
    # The phase driver draws the lots at a meeting held today (UTC), and a
    # redraw's session may not come before it.
    meeting = {
        "kind": "regular_session",
        "date": utcnow().date().isoformat(),
        "states_present": [state, *target["reviewers"]],
    }
    recorded = await client.post(f"{phase_url}/meetings", json=meeting)
    assert recorded.status_code == 201, recorded.text
    request = {
        "instrument": "convention",
        "state_under_review": state,
        "requested_by": state,
        "reason": "End-to-end test of the hand-over to a redrawn reviewer",
        "meeting_id": recorded.json()["id"],
        "seed": "e2e-redraw",
        "reviewers": [replaced],
    }
    response = await client.post(f"{phase_url}/redraws", json=request)
    assert response.status_code == 201, response.text
    changed = {
        (a["state_under_review"], a["instrument"]): [
            a["same_group_reviewer"],
            a["other_group_reviewer"],
        ]
        for a in response.json()["result"]
    }
    return changed, replaced


async def _wait_for_handover(
    client: httpx.AsyncClient,
    phase_id: str,
    redrawn: dict[tuple[str, str], list[str]],
) -> None:
    """Wait until every review of the redrawn assignments has the new pair."""
    for _ in range(600):
        reviews = await list_reviews(client, phase_id)
        current = {
            (r["state_under_review"], r["instrument"]): r["reviewers"]
            for r in reviews
            if (r["state_under_review"], r["instrument"]) in redrawn
        }
        if current == redrawn:
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"reviews still have {current}, expected {redrawn}")


def _assert_handover_told(
    notices: list[dict[str, Any]],
    redrawn: dict[tuple[str, str], list[str]],
    replaced: str,
) -> None:
    recipients: dict[str, set[str]] = defaultdict(set)
    subjects: dict[str, str] = {}
    for notice in notices:
        recipients[notice["event_id"]].add(notice["recipient_state"])
        subjects[notice["event_id"]] = notice["subject"]
    assert len(recipients) == 2 * len(redrawn)
    for event_id, states in recipients.items():
        state, instrument = subjects[event_id].split("/")
        assert states == {state, *redrawn[(state, instrument)], replaced}


def _assert_three_recipients_once(notices: list[dict[str, Any]], events: int) -> None:
    recipients: dict[str, list[str]] = defaultdict(list)
    for notice in notices:
        recipients[notice["event_id"]].append(notice["recipient_state"])
    assert len(recipients) == events
    assert all(len(states) == 3 == len(set(states)) for states in recipients.values())
