import asyncio
import json
import logging
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_shared.bus import Record
from palermo_shared.bus.memory import MemoryBus
from palermo_shared.contracts import QuestionnairePublished, QuestionnaireSubmitted
from palermo_shared.db import create_tables
from palermo_shared.events import (
    TOPIC_DEAD_LETTER,
    TOPIC_QUESTIONNAIRE,
    Envelope,
    EventPayload,
    encode,
    new_event,
)
from palermo_shared.inbox import EventConsumer, Handler, ProcessedEvent
from palermo_shared.reference.instruments import Cluster, Instrument

Sessions = async_sessionmaker[AsyncSession]
CONSUMER = "inbox-test"
PUBLISHED_TYPE = "palermo.questionnaire.questionnaire_published"


class HandledQuestionnaire(SQLModel, table=True):
    """The state change that the test handlers make."""

    __tablename__ = "inbox_test_handled_questionnaire"

    questionnaire_id: str = Field(primary_key=True)


@pytest.fixture
async def db(sessions: Sessions) -> Sessions:
    engine = sessions.kw["bind"]
    assert isinstance(engine, AsyncEngine)
    await create_tables(engine, [HandledQuestionnaire])
    return sessions


def make_event(questionnaire_id: str) -> Envelope:
    payload = QuestionnairePublished(
        questionnaire_id=questionnaire_id,
        phase_id="phase-1",
        instrument=Instrument.CONVENTION,
        cluster=Cluster.CRIMINALIZATION,
        version=1,
        articles=[2, 5],
    )
    return new_event(payload, source="questionnaire", subject=questionnaire_id)


async def store_questionnaire(
    session: AsyncSession, _envelope: Envelope, payload: EventPayload
) -> None:
    assert isinstance(payload, QuestionnairePublished)
    session.add(HandledQuestionnaire(questionnaire_id=payload.questionnaire_id))


def record_of(value: bytes, *, key: str = "key") -> Record:
    return Record(topic=TOPIC_QUESTIONNAIRE, key=key, value=value)


async def publish(bus: MemoryBus, *values: bytes) -> None:
    await bus.publisher().publish([record_of(v) for v in values], timeout=1.0)


def consumer_for(
    bus: MemoryBus, db: Sessions, handlers: dict[str, Handler], **options: object
) -> EventConsumer:
    return EventConsumer(
        CONSUMER,
        bus=bus,
        topics=[TOPIC_QUESTIONNAIRE],
        handlers=handlers,
        sessions=db,
        dead_letters=bus.publisher(),
        **options,  # type: ignore[arg-type]
    )


async def consume_all(consumer: EventConsumer, bus: MemoryBus) -> None:
    """Run the consumer until its group committed the whole topic, then stop it."""
    end = len(bus.log(TOPIC_QUESTIONNAIRE))
    task = asyncio.create_task(consumer.run())
    try:
        async with asyncio.timeout(5):
            while bus.committed(CONSUMER, TOPIC_QUESTIONNAIRE) < end:
                await asyncio.sleep(0.01)
    finally:
        consumer.request_stop()
        async with asyncio.timeout(5):
            await task


async def handled_ids(db: Sessions) -> list[str]:
    async with db() as session:
        rows = await session.exec(select(HandledQuestionnaire))
        return sorted(row.questionnaire_id for row in rows)


async def inbox_ids(db: Sessions) -> list[str]:
    async with db() as session:
        rows = await session.exec(select(ProcessedEvent))
        return sorted(row.event_id for row in rows)


def header(headers: tuple[tuple[str, bytes], ...], name: str) -> str:
    [value] = [v for k, v in headers if k == name]
    return value.decode()


async def test_handler_change_and_inbox_row_commit(db: Sessions) -> None:
    bus = MemoryBus()
    envelope = make_event("q-1")
    await publish(bus, encode(envelope))
    consumer = consumer_for(bus, db, {PUBLISHED_TYPE: store_questionnaire})

    await consume_all(consumer, bus)

    assert await handled_ids(db) == ["q-1"]
    assert await inbox_ids(db) == [envelope.id]
    assert consumer.handled_total == 1


async def test_redelivered_event_handled_once(db: Sessions) -> None:
    bus = MemoryBus()
    calls: list[str] = []

    async def count_calls(
        session: AsyncSession, envelope: Envelope, payload: EventPayload
    ) -> None:
        calls.append(envelope.id)
        await store_questionnaire(session, envelope, payload)

    envelope = make_event("q-1")
    await publish(bus, encode(envelope), encode(envelope))
    consumer = consumer_for(bus, db, {PUBLISHED_TYPE: count_calls})

    await consume_all(consumer, bus)

    assert calls == [envelope.id]
    assert consumer.handled_total == 1
    assert consumer.dead_lettered_total == 0


async def test_redelivery_after_restart_handled_once(db: Sessions) -> None:
    bus = MemoryBus()
    envelope = make_event("q-1")
    await publish(bus, encode(envelope))
    await consume_all(consumer_for(bus, db, {PUBLISHED_TYPE: store_questionnaire}), bus)
    # The offset commit was lost, so the group reads the event again.
    bus.commit(CONSUMER, {TOPIC_QUESTIONNAIRE: 0})
    restarted = consumer_for(bus, db, {PUBLISHED_TYPE: store_questionnaire})

    await consume_all(restarted, bus)

    assert restarted.handled_total == 0
    assert await handled_ids(db) == ["q-1"]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"not json at all", "invalid event envelope"),
        (b'{"id": "only an id"}', "invalid event envelope"),
    ],
    ids=["garbage", "wrong-shape"],
)
async def test_malformed_message_dead_lettered(
    db: Sessions, value: bytes, reason: str
) -> None:
    bus = MemoryBus()
    await publish(bus, value, encode(make_event("q-2")))
    consumer = consumer_for(bus, db, {PUBLISHED_TYPE: store_questionnaire})

    await consume_all(consumer, bus)
    [dead] = bus.log(TOPIC_DEAD_LETTER)

    assert dead.value == value
    assert reason in header(dead.headers, "dead-letter-reason")
    assert header(dead.headers, "dead-letter-origin") == f"{TOPIC_QUESTIONNAIRE}/0/0"
    assert header(dead.headers, "dead-letter-consumer") == CONSUMER
    assert await handled_ids(db) == ["q-2"]


async def test_invalid_data_dead_lettered(db: Sessions) -> None:
    bus = MemoryBus()
    document = json.loads(encode(make_event("q-1")))
    document["data"] = {"questionnaire_id": "q-1"}
    invalid = json.dumps(document).encode()
    valid = make_event("q-2")
    await publish(bus, invalid, encode(valid))
    consumer = consumer_for(bus, db, {PUBLISHED_TYPE: store_questionnaire})

    await consume_all(consumer, bus)
    [dead] = bus.log(TOPIC_DEAD_LETTER)

    assert "invalid data for" in header(dead.headers, "dead-letter-reason")
    assert header(dead.headers, "dead-letter-origin") == f"{TOPIC_QUESTIONNAIRE}/0/0"
    assert await handled_ids(db) == ["q-2"]
    assert await inbox_ids(db) == [valid.id]


async def test_dead_letter_keeps_original_headers(db: Sessions) -> None:
    bus = MemoryBus()
    original = Record(
        topic=TOPIC_QUESTIONNAIRE,
        key="q-1",
        value=b"garbage",
        headers=(("traceparent", b"00-abc-def-01"),),
    )
    await bus.publisher().publish([original], timeout=1.0)

    await consume_all(consumer_for(bus, db, {}), bus)
    [dead] = bus.log(TOPIC_DEAD_LETTER)

    assert dead.key == "q-1"
    assert ("traceparent", b"00-abc-def-01") in dead.headers


async def test_failing_handler_dead_lettered_after_max_attempts(
    db: Sessions,
) -> None:
    bus = MemoryBus()
    attempts: list[str] = []

    async def fail_after_writing(
        session: AsyncSession, envelope: Envelope, payload: EventPayload
    ) -> None:
        attempts.append(envelope.id)
        await store_questionnaire(session, envelope, payload)
        await session.flush()
        raise RuntimeError("downstream rejected the event")

    failing = make_event("q-1")
    await publish(bus, encode(failing))
    consumer = consumer_for(
        bus, db, {PUBLISHED_TYPE: fail_after_writing}, max_attempts=3
    )

    await consume_all(consumer, bus)
    [dead] = bus.log(TOPIC_DEAD_LETTER)

    assert attempts == [failing.id] * 3
    assert "handler failed 3 times" in header(dead.headers, "dead-letter-reason")
    assert "downstream rejected the event" in header(dead.headers, "dead-letter-reason")
    assert consumer.dead_lettered_total == 1
    assert await handled_ids(db) == []
    assert await inbox_ids(db) == []


async def test_consumer_continues_after_failing_handler(db: Sessions) -> None:
    bus = MemoryBus()

    async def fail_on_first(
        session: AsyncSession, envelope: Envelope, payload: EventPayload
    ) -> None:
        assert isinstance(payload, QuestionnairePublished)
        if payload.questionnaire_id == "q-1":
            raise RuntimeError("cannot handle q-1")
        await store_questionnaire(session, envelope, payload)

    await publish(bus, encode(make_event("q-1")), encode(make_event("q-2")))
    consumer = consumer_for(bus, db, {PUBLISHED_TYPE: fail_on_first}, max_attempts=1)

    await consume_all(consumer, bus)

    assert await handled_ids(db) == ["q-2"]
    assert len(bus.log(TOPIC_DEAD_LETTER)) == 1


async def test_failure_keeps_rest_of_batch(db: Sessions) -> None:
    bus = MemoryBus()
    calls: list[str] = []

    async def fail_on_second(
        session: AsyncSession, envelope: Envelope, payload: EventPayload
    ) -> None:
        assert isinstance(payload, QuestionnairePublished)
        calls.append(payload.questionnaire_id)
        if payload.questionnaire_id == "q-2":
            raise RuntimeError("cannot handle q-2")
        await store_questionnaire(session, envelope, payload)

    events = [make_event(f"q-{n}") for n in (1, 2, 3)]
    await publish(bus, *(encode(e) for e in events))
    consumer = consumer_for(bus, db, {PUBLISHED_TYPE: fail_on_second}, max_attempts=2)

    await consume_all(consumer, bus)

    assert await handled_ids(db) == ["q-1", "q-3"]
    assert calls.count("q-2") == 2
    assert consumer.handled_total == 2
    assert len(bus.log(TOPIC_DEAD_LETTER)) == 1


async def test_handler_recovers_within_attempts(db: Sessions) -> None:
    bus = MemoryBus()
    failures_left = [1]

    async def fail_once(
        session: AsyncSession, envelope: Envelope, payload: EventPayload
    ) -> None:
        await store_questionnaire(session, envelope, payload)
        if failures_left[0] > 0:
            failures_left[0] -= 1
            await session.flush()
            raise RuntimeError("transient failure")

    await publish(bus, encode(make_event("q-1")))
    consumer = consumer_for(bus, db, {PUBLISHED_TYPE: fail_once}, max_attempts=2)

    await consume_all(consumer, bus)

    assert await handled_ids(db) == ["q-1"]
    assert bus.log(TOPIC_DEAD_LETTER) == []


async def test_event_without_handler_skipped(db: Sessions) -> None:
    bus = MemoryBus()
    payload = QuestionnaireSubmitted(
        response_id="r-1",
        questionnaire_id="q-1",
        phase_id="phase-1",
        state="ALB",
        instrument=Instrument.CONVENTION,
        cluster=Cluster.CRIMINALIZATION,
        submitted_at="2025-01-01T00:00:00Z",  # type: ignore[arg-type]
    )
    unhandled = new_event(payload, source="questionnaire", subject="r-1")
    handled = make_event("q-2")
    await publish(bus, encode(unhandled), encode(handled))
    consumer = consumer_for(bus, db, {PUBLISHED_TYPE: store_questionnaire})

    await consume_all(consumer, bus)

    assert await inbox_ids(db) == [handled.id]
    assert bus.log(TOPIC_DEAD_LETTER) == []
    assert await handled_ids(db) == ["q-2"]


async def test_request_stop_returns_after_commit(
    db: Sessions, eventually: Callable[..., Awaitable[None]]
) -> None:
    bus = MemoryBus()
    consumer = consumer_for(bus, db, {PUBLISHED_TYPE: store_questionnaire})
    task = asyncio.create_task(consumer.run())
    await asyncio.wait_for(consumer.ready.wait(), 5)

    await publish(bus, encode(make_event("q-1")))
    await eventually(lambda: consumer.handled_total == 1)
    consumer.request_stop()
    await asyncio.wait_for(task, 5)

    assert bus.committed(CONSUMER, TOPIC_QUESTIONNAIRE) == 1


async def test_request_stop_on_idle_consumer(db: Sessions) -> None:
    bus = MemoryBus()
    consumer = consumer_for(bus, db, {PUBLISHED_TYPE: store_questionnaire})
    task = asyncio.create_task(consumer.run())
    await asyncio.wait_for(consumer.ready.wait(), 5)

    consumer.request_stop()

    await asyncio.wait_for(task, 2)
    assert task.done()


async def test_after_commit_called_per_batch(db: Sessions) -> None:
    bus = MemoryBus()
    commits: list[int] = []
    await publish(bus, encode(make_event("q-1")))
    consumer = consumer_for(
        bus,
        db,
        {PUBLISHED_TYPE: store_questionnaire},
        after_commit=lambda: commits.append(
            bus.committed(CONSUMER, TOPIC_QUESTIONNAIRE)
        ),
    )

    await consume_all(consumer, bus)

    assert commits == [1]


async def test_batch_logged_once_at_info(
    db: Sessions, caplog: pytest.LogCaptureFixture
) -> None:
    bus = MemoryBus()
    first = make_event("q-1")
    await publish(bus, encode(first), encode(make_event("q-2")), encode(first))
    consumer = consumer_for(bus, db, {PUBLISHED_TYPE: store_questionnaire})

    with caplog.at_level(logging.DEBUG, logger="palermo_shared.inbox"):
        await consume_all(consumer, bus)

    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    batch_lines = [line for line in info if "committed a batch" in line]
    assert batch_lines == [
        f"consumer {CONSUMER} committed a batch of 3 messages: 2 events handled"
    ]
    assert sum("handled event" in line for line in debug) == 2
    assert not any("handled event" in line for line in info)
