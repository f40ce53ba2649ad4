import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_shared.bus import PublishError, Record
from palermo_shared.bus.memory import MemoryBus
from palermo_shared.contracts import QuestionnairePublished
from palermo_shared.db import create_engine, create_tables, session_factory
from palermo_shared.events import TOPIC_QUESTIONNAIRE, Envelope, decode, new_event
from palermo_shared.outbox import OutboxMessage, OutboxRelay, record_event
from palermo_shared.reference.instruments import Cluster, Instrument

Sessions = async_sessionmaker[AsyncSession]


class FlakyPublisher:
    """Fail the first `failures` publishes, then publish to a MemoryBus."""

    def __init__(self, bus: MemoryBus, *, failures: int) -> None:
        self._bus = bus
        self.failures_left = failures

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, records: Sequence[Record], *, timeout: float) -> None:
        if self.failures_left > 0:
            self.failures_left -= 1
            raise PublishError("broker unavailable")
        await self._bus.append(records)


class InsertingPublisher:
    """Commit a new outbox row while each of the first batches is in flight."""

    def __init__(self, bus: MemoryBus, sessions: Sessions, *, inserts: int) -> None:
        self._bus = bus
        self._sessions = sessions
        self.inserts_left = inserts

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, records: Sequence[Record], *, timeout: float) -> None:
        if self.inserts_left > 0:
            self.inserts_left -= 1
            await record_committed(self._sessions, make_event("in-flight"))
        await self._bus.append(records)


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


async def record_committed(sessions: Sessions, *envelopes: Envelope) -> None:
    async with sessions() as session, session.begin():
        for envelope in envelopes:
            record_event(session, envelope)


async def outbox_rows(sessions: Sessions) -> list[OutboxMessage]:
    async with sessions() as session:
        query = select(OutboxMessage).order_by(col(OutboxMessage.id))
        return list((await session.exec(query)).all())


def published_ids(bus: MemoryBus) -> list[str]:
    return [decode(d.value).id for d in bus.log(TOPIC_QUESTIONNAIRE)]


def relay_for(sessions: Sessions, publisher: object, **options: object) -> OutboxRelay:
    return OutboxRelay(sessions, publisher, service="test", **options)  # type: ignore[arg-type]


async def test_relay_publishes_committed_rows(sessions: Sessions) -> None:
    bus = MemoryBus()
    events = [make_event(f"q-{i}") for i in range(3)]
    await record_committed(sessions, *events)
    relay = relay_for(sessions, bus.publisher())

    published = await relay.publish_pending()

    assert published == 3
    assert published_ids(bus) == [e.id for e in events]


async def test_relay_marks_rows_published(sessions: Sessions) -> None:
    bus = MemoryBus()
    await record_committed(sessions, make_event("q-1"))
    relay = relay_for(sessions, bus.publisher())

    await relay.publish_pending()
    [row] = await outbox_rows(sessions)

    assert row.published_at is not None
    assert row.claimed_until is None
    assert await relay.pending_count() == 0


async def test_relay_publishes_each_row_once(sessions: Sessions) -> None:
    bus = MemoryBus()
    await record_committed(sessions, make_event("q-1"))
    relay = relay_for(sessions, bus.publisher())

    await relay.publish_pending()
    again = await relay.publish_pending()

    assert again == 0
    assert len(bus.log(TOPIC_QUESTIONNAIRE)) == 1


async def test_record_keeps_key_and_headers(sessions: Sessions) -> None:
    bus = MemoryBus()
    envelope = make_event("q-1")
    await record_committed(sessions, envelope)

    await relay_for(sessions, bus.publisher()).publish_pending()
    [delivery] = bus.log(TOPIC_QUESTIONNAIRE)

    assert delivery.key == "q-1"
    assert ("content-type", b"application/cloudevents+json; charset=UTF-8") in (
        delivery.headers
    )
    assert decode(delivery.value) == envelope


async def test_rolled_back_event_not_published(sessions: Sessions) -> None:
    bus = MemoryBus()
    with pytest.raises(RuntimeError):
        async with sessions() as session, session.begin():
            record_event(session, make_event("q-1"))
            await session.flush()
            raise RuntimeError("state change failed")
    relay = relay_for(sessions, bus.publisher())

    published = await relay.publish_pending()

    assert published == 0
    assert await outbox_rows(sessions) == []
    assert bus.log(TOPIC_QUESTIONNAIRE) == []


async def test_failed_publish_leaves_rows_pending(sessions: Sessions) -> None:
    bus = MemoryBus()
    await record_committed(sessions, make_event("q-1"), make_event("q-2"))
    relay = relay_for(sessions, FlakyPublisher(bus, failures=2))

    for _ in range(2):
        with pytest.raises(PublishError):
            await relay.publish_pending()
    rows = await outbox_rows(sessions)

    assert [row.attempts for row in rows] == [2, 2]
    assert [row.last_error for row in rows] == ["broker unavailable"] * 2
    assert [row.published_at for row in rows] == [None, None]
    assert [row.claimed_until for row in rows] == [None, None]
    assert bus.log(TOPIC_QUESTIONNAIRE) == []


async def test_rows_go_out_in_order_after_recovery(sessions: Sessions) -> None:
    bus = MemoryBus()
    events = [make_event(f"q-{i}") for i in range(5)]
    await record_committed(sessions, *events)
    relay = relay_for(sessions, FlakyPublisher(bus, failures=1), batch_size=2)

    with pytest.raises(PublishError):
        await relay.publish_pending()
    published = await relay.publish_pending()

    assert published == 5
    assert published_ids(bus) == [e.id for e in events]
    assert await relay.pending_count() == 0


async def test_run_retries_until_publisher_recovers(sessions: Sessions) -> None:
    bus = MemoryBus()
    events = [make_event(f"q-{i}") for i in range(3)]
    await record_committed(sessions, *events)
    relay = relay_for(sessions, FlakyPublisher(bus, failures=2), max_backoff=0.05)

    task = asyncio.create_task(relay.run())
    try:
        async with asyncio.timeout(5):
            while relay.published_total < 3:
                await asyncio.sleep(0.02)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    assert published_ids(bus) == [e.id for e in events]


async def test_run_publishes_after_wake(sessions: Sessions) -> None:
    bus = MemoryBus()
    relay = relay_for(sessions, bus.publisher(), poll_interval=60.0)
    task = asyncio.create_task(relay.run())
    await asyncio.sleep(0.05)

    try:
        await record_committed(sessions, make_event("q-1"))
        relay.wake()
        async with asyncio.timeout(2):
            while relay.published_total < 1:
                await asyncio.sleep(0.02)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    assert len(bus.log(TOPIC_QUESTIONNAIRE)) == 1


async def test_rows_inserted_during_batch_not_skipped(sessions: Sessions) -> None:
    bus = MemoryBus()
    await record_committed(sessions, make_event("q-1"), make_event("q-2"))
    publisher = InsertingPublisher(bus, sessions, inserts=2)
    relay = relay_for(sessions, publisher, batch_size=1)

    published = await relay.publish_pending()
    rows = await outbox_rows(sessions)

    assert published == 4
    assert sorted(published_ids(bus)) == sorted(row.event_id for row in rows)
    assert await relay.pending_count() == 0


async def test_two_relays_lose_no_rows(sessions: Sessions) -> None:
    bus = MemoryBus()
    events = [make_event(f"q-{i}") for i in range(60)]
    await record_committed(sessions, *events[:30])
    relays = [relay_for(sessions, bus.publisher(), batch_size=7) for _ in range(2)]

    async def write_more() -> None:
        for envelope in events[30:]:
            await record_committed(sessions, envelope)

    await asyncio.gather(write_more(), *(r.publish_pending() for r in relays))
    await asyncio.gather(*(r.publish_pending() for r in relays))

    assert sorted(published_ids(bus)) == sorted(e.id for e in events)
    assert await relays[0].pending_count() == 0


async def test_claimed_rows_skipped_by_other_relay(sessions: Sessions) -> None:
    bus = MemoryBus()
    await record_committed(sessions, make_event("q-1"))
    blocked = asyncio.Event()
    released = asyncio.Event()

    class SlowPublisher(FlakyPublisher):
        async def publish(self, records: Sequence[Record], *, timeout: float) -> None:
            blocked.set()
            await released.wait()
            await super().publish(records, timeout=timeout)

    slow = relay_for(sessions, SlowPublisher(bus, failures=0))
    other = relay_for(sessions, bus.publisher())
    in_flight = asyncio.create_task(slow.publish_pending())
    await blocked.wait()

    published_by_other = await other.publish_pending()
    released.set()
    await in_flight

    assert published_by_other == 0
    assert len(bus.log(TOPIC_QUESTIONNAIRE)) == 1


async def test_stopped_relay_frees_rows_on_postgresql(
    postgresql_engine: AsyncEngine, sessions: Sessions
) -> None:
    # A relay that dies mid-publish leaves no lease on PostgreSQL. Its row
    # locks end with its transaction, so another relay publishes at once.
    bus = MemoryBus()
    await record_committed(sessions, make_event("q-1"))
    publishing = asyncio.Event()

    class HangingPublisher(FlakyPublisher):
        async def publish(self, records: Sequence[Record], *, timeout: float) -> None:
            publishing.set()
            await asyncio.Event().wait()

    hanging = relay_for(sessions, HangingPublisher(bus, failures=0))
    stopped = asyncio.create_task(hanging.publish_pending())
    await publishing.wait()
    stopped.cancel()
    await asyncio.gather(stopped, return_exceptions=True)

    published = await relay_for(sessions, bus.publisher()).publish_pending()

    assert published == 1
    assert len(bus.log(TOPIC_QUESTIONNAIRE)) == 1


async def test_run_survives_database_error(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'late.db'}")
    sessions = session_factory(engine)
    bus = MemoryBus()
    relay = relay_for(sessions, bus.publisher(), max_backoff=0.05)
    runner = asyncio.create_task(relay.run())
    await asyncio.sleep(0.2)  # the relay's queries fail: no outbox table yet

    await create_tables(engine, [OutboxMessage])
    await record_committed(sessions, make_event("after-error"))
    try:
        async with asyncio.timeout(5):
            while relay.published_total < 1:
                await asyncio.sleep(0.02)
        crashed = runner.done()
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        await engine.dispose()

    assert not crashed
    assert len(bus.log(TOPIC_QUESTIONNAIRE)) == 1
