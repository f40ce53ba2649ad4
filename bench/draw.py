"""Benchmark of the drawing of lots: a whole phase's draw and its verification.

Draws lots for every State party and all four instruments on the shipped
registry (parties on 2025-01-01), in both modes, then verifies the result
with three redraws by re-running everything from the published inputs.
Each figure is the median of repeated runs in this one process, on one
core (the draw is single-threaded Python). Target: under 50 ms each.

Run with `.venv/bin/python bench/draw.py`; it rewrites its own section of
bench/RESULTS.md.
"""

import datetime as dt
import statistics
import time
from collections.abc import Callable

from results import record

from palermo_draw.domain.lots import Redraw, draw_lots, redraw
from palermo_draw.domain.model import DrawMode, DrawResult, Party
from palermo_draw.domain.verification import (
    PublishedDraw,
    PublishedRedraw,
    seed_hash,
    verify,
)
from palermo_shared.reference.instruments import Instrument
from palermo_shared.reference.states import load_states

DAY = dt.date(2025, 1, 1)
RUNS = 31
SEED = "bench"


def parties() -> dict[Instrument, list[Party]]:
    return {
        instrument: [
            Party(s.iso3, s.regional_group, s.legal_system)
            for s in load_states().values()
            if s.party_to(instrument, DAY)
        ]
        for instrument in Instrument
    }


def published(mode: DrawMode) -> PublishedDraw:
    """Return a published draw of the phase with three redraws, as a record holds."""
    inputs = parties()
    result = draw_lots(inputs, mode=mode, seed=SEED)
    current = {(a.instrument, a.state_under_review): a for a in result.assignments}
    redraws = []
    for number, state in enumerate(("KEN", "FRA", "BRA"), start=1):
        target = current[(Instrument.CONVENTION, state)]
        request = Redraw(
            number=number,
            instrument=Instrument.CONVENTION,
            state_under_review=state,
            replaced=(target.same_group_reviewer,),
            excluded=frozenset({target.same_group_reviewer}),
            seed=f"redraw-{number}",
        )
        changed = redraw(
            inputs, mode=mode, current=list(current.values()), request=request
        )
        current.update({(a.instrument, a.state_under_review): a for a in changed})
        redraws.append(PublishedRedraw(request, tuple(changed)))
    return PublishedDraw(
        ruleset_version=2,
        mode=mode,
        seed=SEED,
        seed_sha256=seed_hash(SEED),
        announced_values=None,
        parties=inputs,
        initial=DrawResult(result.assignments, result.not_drawn),
        redraws=redraws,
        current=list(current.values()),
    )


def median_ms(action: Callable[[], object]) -> float:
    action()
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    inputs = parties()
    rows = []
    for mode in DrawMode:
        draw_ms = median_ms(lambda mode=mode: draw_lots(inputs, mode=mode, seed=SEED))
        record_of_mode = published(mode)
        assert verify(record_of_mode) == [], "the benchmark's own record must verify"
        verify_ms = median_ms(lambda r=record_of_mode: verify(r))
        assignments = len(record_of_mode.current)
        rows.append(
            f"| {mode.value} | {assignments} | {draw_ms:.1f} | {verify_ms:.1f} |"
        )
        print(f"{mode.value}: draw {draw_ms:.1f} ms, verification {verify_ms:.1f} ms")

    body = "\n".join(
        [
            "Whole phase on the shipped registry (parties on 2025-01-01, all four "
            "instruments), one process, one core. Verification re-runs the draw and "
            f"three redraws and compares them with the published record. Median of "
            f"{RUNS} runs after one warm-up run. Target: under 50 ms each.",
            "",
            "| mode | assignments | draw (ms) | verification (ms) |",
            "| --- | --- | --- | --- |",
            *rows,
        ]
    )
    record("draw", "Drawing of lots: a whole phase and its verification", body)


if __name__ == "__main__":
    main()
