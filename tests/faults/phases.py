"""Helpers of the fault tests: a small part of a phase, and the events on topics."""

import asyncio
import json
import time
from collections import Counter
from collections.abc import Iterable

from palermo.phase import PhaseRun, ReviewTarget
from palermo_shared.bus import Delivery
from palermo_shared.events import EventDecodeError, decode
from tests.faults.conftest import Topics

INSTRUMENT = "smuggling_of_migrants"
DESK_REVIEW_STARTED = "palermo.review.desk_review_started"
DESK_REVIEW_COMPLETED = "palermo.review.desk_review_completed"
QUESTIONNAIRE_SUBMITTED = "palermo.questionnaire.questionnaire_submitted"


def small_targets(run: PhaseRun, states: int) -> list[ReviewTarget]:
    """Return every cluster of one instrument for the first `states` drawn States.

    The targets come grouped by State, so that splitting the list in two
    gives each half all the clusters of its States.
    """
    targets = [t for t in run.targets() if t.instrument == INSTRUMENT]
    chosen = sorted({t.state for t in targets})[:states]
    return sorted(
        (t for t in targets if t.state in chosen),
        key=lambda t: (t.state, t.cluster),
    )


def event_ids_by_target(
    records: Iterable[Delivery], event_type: str, phase_id: str
) -> Counter[ReviewTarget]:
    """Count the distinct event ids of `event_type` per target in one phase.

    A record published twice carries the same event id and counts once,
    because consumers handle it once. Two ids for one target mean that the
    service decided the same thing twice.
    """
    seen: dict[str, ReviewTarget] = {}
    for record in records:
        try:
            envelope = decode(record.value)
        except EventDecodeError:
            continue
        data = envelope.data
        if envelope.type == event_type and data.get("phase_id") == phase_id:
            seen[envelope.id] = _target_of(data)
    return Counter(seen.values())


async def wait_for_events(
    topics: Topics,
    topic: str,
    event_type: str,
    phase_id: str,
    expected: int,
    *,
    timeout: float = 60.0,
) -> Counter[ReviewTarget]:
    """Wait until `topic` contains `expected` distinct events of the type in the phase.

    Returns the count per target, or what there is after `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        records = await topics.read(topic)
        events = event_ids_by_target(records, event_type, phase_id)
        if sum(events.values()) >= expected or time.monotonic() > deadline:
            return events
        await asyncio.sleep(0.5)


def _target_of(data: dict[str, object]) -> ReviewTarget:
    state = data.get("state_under_review", data.get("state"))
    return ReviewTarget(str(state), str(data["instrument"]), str(data["cluster"]))


def canonical(value: object) -> str:
    """Return `value` as sorted JSON, so that two snapshots compare as text."""
    return json.dumps(value, sort_keys=True, indent=1)
