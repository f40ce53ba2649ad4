"""Malformed messages on a real topic go to the dead-letter topic and block nothing.

The review service runs as a process on Tansu. Two bad messages are
published on `palermo.draw`: bytes that are no event envelope, and an
envelope whose data does not match its type's schema. A valid `LotsDrawn`
event follows them under the same key, so all three land on the same
partition. Each bad message must reach `palermo.deadletter` with its reason
and origin, with an ERROR in the service's log, and the valid event behind
them must still be handled.
"""

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from palermo_shared.auth import Role
from palermo_shared.bus import Record
from palermo_shared.contracts import LotsDrawn
from palermo_shared.contracts.draw import DrawnReviewer
from palermo_shared.events import Envelope, encode, new_event
from palermo_shared.reference.instruments import Cluster, Instrument
from tests.e2e.processes import ServiceProcess, local_issuer
from tests.faults.conftest import Topics

SUBJECT = "KEN/smuggling_of_migrants"
GARBAGE = b"\x00\xff not an event envelope"


@pytest.fixture
def review(
    service_env: Callable[[str], dict[str, str]], tmp_path: Path
) -> Iterator[ServiceProcess]:
    process = ServiceProcess("review", service_env("review"), tmp_path)
    process.start()
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


def _lots_drawn(phase_id: str) -> Envelope:
    payload = LotsDrawn(
        phase_id=phase_id,
        instrument=Instrument.SMUGGLING_OF_MIGRANTS,
        state_under_review="KEN",
        regional_group="African",
        clusters=[Cluster.CRIMINALIZATION, Cluster.INTERNATIONAL_COOPERATION],
        reviewers=[
            DrawnReviewer(
                iso3="GHA",
                regional_group="African",
                legal_system=None,
                role="same_regional_group",
            ),
            DrawnReviewer(
                iso3="FRA",
                regional_group="Western European and other States",
                legal_system=None,
                role="other_regional_group",
            ),
        ],
        similar_legal_system=False,
    )
    return new_event(payload, source="/palermo/draw", subject=SUBJECT)


def _invalid_data(phase_id: str) -> bytes:
    """Return a well-formed envelope whose `LotsDrawn` data lacks required fields."""
    envelope = _lots_drawn(phase_id).model_copy(
        update={"id": str(uuid.uuid4()), "data": {"phase_id": phase_id}}
    )
    return encode(envelope)


async def _wait_for_reviews(
    review: ServiceProcess, phase_id: str
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 60
    secretariat = local_issuer(review.data_dir).headers(Role.SECRETARIAT)
    async with httpx.AsyncClient(
        base_url=review.url, headers=secretariat, timeout=10
    ) as client:
        while True:
            page = await client.get("/reviews", params={"phase_id": phase_id})
            items: list[dict[str, Any]] = page.json()["items"]
            if items or time.monotonic() > deadline:
                return items
            await asyncio.sleep(0.5)


def _headers(record: Any) -> dict[str, str]:
    return {name: value.decode() for name, value in record.headers}


@pytest.mark.timeout(180)
async def test_malformed_events_dead_lettered(
    review: ServiceProcess, topics: Topics
) -> None:
    phase_id = str(uuid.uuid4())
    invalid = _invalid_data(phase_id)
    await topics.publish(
        [
            Record(topic="palermo.draw", key=SUBJECT, value=GARBAGE),
            Record(topic="palermo.draw", key=SUBJECT, value=invalid),
            Record(
                topic="palermo.draw", key=SUBJECT, value=encode(_lots_drawn(phase_id))
            ),
        ]
    )

    reviews = await _wait_for_reviews(review, phase_id)
    dead_letters = await topics.wait_for("palermo.deadletter", 2)
    draw_records = await topics.read("palermo.draw")

    # Both bad messages are dead-lettered, in order, with what went wrong.
    assert [d.value for d in dead_letters] == [GARBAGE, invalid]
    garbage_headers, invalid_headers = (_headers(d) for d in dead_letters)
    invalid_reason = invalid_headers["dead-letter-reason"]
    assert "invalid event envelope" in garbage_headers["dead-letter-reason"]
    assert "invalid data for palermo.draw.lots_drawn" in invalid_reason
    garbage_at, invalid_at = (
        f"{r.topic}/{r.partition}/{r.offset}" for r in draw_records[:2]
    )
    assert garbage_headers["dead-letter-origin"] == garbage_at
    assert invalid_headers["dead-letter-origin"] == invalid_at
    assert garbage_headers["dead-letter-consumer"] == "review"
    # The service logged each one as an error.
    errors = [
        line
        for line in review.log().splitlines()
        if " ERROR " in line and "dead-lettering message" in line
    ]
    assert len(errors) == 2
    # The valid event behind them was handled.
    clusters = {r["cluster"] for r in reviews}
    assert clusters == {"criminalization", "international_cooperation"}
    assert {r["status"] for r in reviews} == {"awaiting_questionnaire"}
