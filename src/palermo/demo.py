"""`palermo demo`: a whole review phase on the embedded default, on real data."""

import asyncio
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from palermo.embedded import run_embedded
from palermo.phase import (
    PhaseError,
    answer_questionnaire,
    complete_review,
    for_each,
    open_and_draw,
    phase_client,
    request,
    wait_for_reviews,
    write_draw_csv,
)
from palermo_shared.auth import LocalIssuer

COMPLETED_EVENT = "palermo.review.desk_review_completed"
DELIVERED_EVENT = "palermo.notify.notification_delivered"


async def run_demo(output: Path, *, seed: str, years: str, concurrency: int) -> str:
    """Run the phase and return the summary to print."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="palermo-demo-") as data_dir:
        tokens = LocalIssuer.from_key_file(Path(data_dir) / "signing-key.pem")
        async with (
            run_embedded(Path(data_dir)) as url,
            phase_client(url, tokens, timeout=60.0) as client,
        ):
            summary = await _drive(
                client, tokens, output, seed=seed, years=years, concurrency=concurrency
            )
    summary["seconds"] = time.perf_counter() - started
    return _format(summary)


async def _drive(
    client: httpx.AsyncClient,
    tokens: LocalIssuer,
    output: Path,
    *,
    seed: str,
    years: str,
    concurrency: int,
) -> dict[str, Any]:
    run = await open_and_draw(client, tokens, years=years, seed=seed)
    draw_csv = write_draw_csv(run, output)
    targets = run.targets()

    await for_each(
        targets, lambda t: answer_questionnaire(client, run, t), concurrency=concurrency
    )
    started = await wait_for_reviews(
        client, run.phase_id, status="in_progress", expected=len(targets)
    )
    await for_each(
        started, lambda r: complete_review(client, run, r), concurrency=concurrency
    )
    completed = await wait_for_reviews(
        client, run.phase_id, status="completed", expected=len(targets)
    )
    notified = await wait_for_notifications(
        client, COMPLETED_EVENT, expected=3 * len(completed)
    )

    counts = await event_counts(client)
    return {
        "phase_id": run.phase_id,
        "years": years,
        "seed": seed,
        "draw_csv": draw_csv,
        "pairs": len(run.draw["assignments"]),
        "not_drawn": run.draw["not_drawn"],
        "reviews": Counter((r["instrument"], r["cluster"]) for r in completed),
        "notified": notified,
        "events": counts,
    }


async def wait_for_notifications(
    client: httpx.AsyncClient, event_type: str, *, expected: int, timeout: float = 120.0
) -> int:
    """Wait until `expected` inbox notifications of `event_type` are stored.

    Return how many there are.
    """
    params = {"event_type": event_type, "channel": "inbox", "limit": 1}
    deadline = time.monotonic() + timeout
    while True:
        page = (
            await request(client, "GET", "/api/v1/notify/notifications", params=params)
        ).json()
        if page["total"] >= expected:
            return int(page["total"])
        if time.monotonic() > deadline:
            raise PhaseError(
                f"only {page['total']} of {expected} {event_type} notifications after "
                f"{timeout:.0f}s"
            )
        await asyncio.sleep(0.5)


async def event_counts(
    client: httpx.AsyncClient, *, timeout: float = 60.0
) -> dict[str, int]:
    """Return the gateway's event counts once they include every delivery so far.

    A notification and its delivery event are stored in one transaction, but
    the event is counted only after the relay publishes it and the gateway
    consumes it. Counts read as soon as the last notifications were stored
    missed the delivery events of the last few.
    """
    params = {"status": "delivered", "limit": 1}
    deadline = time.monotonic() + timeout
    while True:
        # Read first, so that the counts read after it include those events.
        delivered = (
            await request(client, "GET", "/api/v1/notify/notifications", params=params)
        ).json()["total"]
        counts: dict[str, int] = (
            await request(client, "GET", "/api/v1/events/counts")
        ).json()
        if counts.get(DELIVERED_EVENT, 0) >= delivered:
            return counts
        if time.monotonic() > deadline:
            raise PhaseError(
                f"the gateway counted {counts.get(DELIVERED_EVENT, 0)} delivery "
                f"events for {delivered} delivered notifications after {timeout:.0f}s"
            )
        await asyncio.sleep(0.2)


def _format(s: dict[str, Any]) -> str:
    lines = [
        f"Review phase {s['phase_id']} (years {s['years']}), seed {s['seed']!r}",
        f"Drawn: {s['pairs']} States under review and instruments; "
        f"draw written to {s['draw_csv']}",
    ]
    if s["not_drawn"]:
        lines.append(f"Not drawn: {len(s['not_drawn'])} (see not_drawn.csv)")
        lines.extend(
            f"  {n['instrument']:<24} {n['state']}  {n['reason']}"
            for n in s["not_drawn"]
        )
    lines.append("Completed desk reviews (questionnaire answers are synthetic):")
    lines.extend(
        f"  {instrument:<24} {cluster:<28} {count:>4}"
        for (instrument, cluster), count in sorted(s["reviews"].items())
    )
    lines.append(f"  {'total':<53} {sum(s['reviews'].values()):>4}")
    lines.append("Events published, by type:")
    lines.extend(f"  {t:<55} {n:>6}" for t, n in s["events"].items())
    lines.append(f"Focal points notified of completed reviews: {s['notified']}")
    lines.append(f"Time taken: {s['seconds']:.1f} s")
    return "\n".join(lines)
