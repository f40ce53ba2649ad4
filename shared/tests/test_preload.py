"""Rows preloaded for a consumer batch: read from memory, and kept consistent."""

import asyncio
import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from typing import Any, cast

import asyncpg
import pytest
import sqlalchemy.exc
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_shared import preload
from palermo_shared.assignments import (
    LOTS_HANDLERS,
    LOTS_PRELOADERS,
    ReviewerAssignment,
)
from palermo_shared.bus import Record
from palermo_shared.bus.memory import MemoryBus
from palermo_shared.contracts import (
    DrawnReviewer,
    LotsDrawn,
    LotsRedrawn,
    MeetingReference,
)
from palermo_shared.db import create_tables
from palermo_shared.events import TOPIC_DRAW, encode, new_event
from palermo_shared.inbox import EventConsumer
from palermo_shared.outbox import OutboxMessage, record_event
from palermo_shared.preload import (
    Preloader,
    add_row,
    combine_preloaders,
    get_row,
    insert_row,
    insert_values,
    new_row,
    preload_rows,
    queue_inserts,
)
from palermo_shared.reference.instruments import Cluster, Instrument

Sessions = async_sessionmaker[AsyncSession]
CONSUMER = "preload-test"
KEY = ("phase-1", "convention", "ITA")


class Remark(SQLModel, table=True):
    """A row with nullable columns, with and without a default."""

    __tablename__ = "preload_test_remark"

    id: int = Field(primary_key=True)
    text: str | None = "none given"
    seen_at: dt.datetime | None = None


@pytest.fixture
async def db(sessions: Sessions) -> Sessions:
    engine = sessions.kw["bind"]
    assert isinstance(engine, AsyncEngine)
    await create_tables(engine, [ReviewerAssignment, Remark])
    return sessions


@pytest.fixture
def statements(db: Sessions, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The SQL statements sent to the database while the test runs.

    Rows that asyncpg copies into a table appear as "COPY table".
    """
    sent: list[str] = []
    engine = db.kw["bind"].sync_engine

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    copy_records = asyncpg.Connection.copy_records_to_table

    async def record_copy(
        connection: asyncpg.Connection, table_name: str, **options: Any
    ) -> str:
        sent.append(f"COPY {table_name}")
        return await copy_records(connection, table_name, **options)

    monkeypatch.setattr(asyncpg.Connection, "copy_records_to_table", record_copy)
    event.listen(engine, "before_cursor_execute", record)
    yield sent
    event.remove(engine, "before_cursor_execute", record)


def writes(statements: list[str], table: str) -> list[str]:
    """Return the statements that wrote rows into `table`."""
    return [
        s for s in statements if s.startswith((f"INSERT INTO {table}", f"COPY {table}"))
    ]


def assignment(state: str, reviewers: list[str]) -> ReviewerAssignment:
    return ReviewerAssignment(
        phase_id="phase-1",
        instrument="convention",
        state_under_review=state,
        reviewers=reviewers,
    )


async def store(db: Sessions, *rows: SQLModel) -> None:
    async with db() as session, session.begin():
        session.add_all(rows)


async def test_preloaded_rows_need_no_queries(
    db: Sessions, statements: list[str]
) -> None:
    await store(db, assignment("ITA", ["FRA", "BRA"]), assignment("KEN", ["PER"]))
    keys = [("phase-1", "convention", state) for state in ("ITA", "KEN", "JPN")]

    async with db() as session:
        await preload_rows(session, ReviewerAssignment, keys)
        sent_by_preload = len(statements)
        found = [await get_row(session, ReviewerAssignment, key) for key in keys]

    assert len(statements) == sent_by_preload
    assert [row.reviewers if row else None for row in found] == [
        ["FRA", "BRA"],
        ["PER"],
        None,
    ]


async def test_preload_splits_long_key_lists(
    db: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    states = [f"S{number:02d}" for number in range(10)]
    await store(db, *(assignment(state, ["AAA"]) for state in states))
    monkeypatch.setattr(preload, "MAX_PARAMETERS", 6)

    async with db() as session:
        keys = [("phase-1", "convention", state) for state in states]
        await preload_rows(session, ReviewerAssignment, keys)
        found = [await get_row(session, ReviewerAssignment, key) for key in keys]

    assert all(row is not None for row in found)


async def test_added_row_found_before_flush(db: Sessions) -> None:
    async with db() as session, session.begin():
        await preload_rows(session, ReviewerAssignment, [KEY])
        added = assignment("ITA", ["FRA"])
        add_row(session, KEY, added)

        assert await get_row(session, ReviewerAssignment, KEY) is added

    async with db() as session:
        rows = (await session.exec(select(ReviewerAssignment))).all()
    assert [row.reviewers for row in rows] == [["FRA"]]


async def test_get_row_falls_back_to_database(db: Sessions) -> None:
    await store(db, assignment("ITA", ["FRA", "BRA"]))

    async with db() as session:
        row = await get_row(session, ReviewerAssignment, KEY)

    assert row is not None and row.reviewers == ["FRA", "BRA"]


def fields(state: str, reviewers: list[str]) -> dict[str, Any]:
    return {
        "phase_id": "phase-1",
        "instrument": "convention",
        "state_under_review": state,
        "reviewers": reviewers,
    }


async def stored(db: Sessions) -> dict[str, list[str]]:
    async with db() as session:
        rows = (await session.exec(select(ReviewerAssignment))).all()
    return {row.state_under_review: list(row.reviewers) for row in rows}


async def test_new_row_equals_constructed_row(db: Sessions) -> None:
    built = new_row(ReviewerAssignment, **fields("ITA", ["FRA"]))

    assert built.model_dump() == assignment("ITA", ["FRA"]).model_dump()
    assert built.model_fields_set == set(fields("ITA", ["FRA"]))
    await store(db, built)
    assert await stored(db) == {"ITA": ["FRA"]}


def test_new_row_rejects_bad_fields() -> None:
    with pytest.raises(TypeError, match="ReviewerAssignment: unknown field colour"):
        new_row(ReviewerAssignment, colour="red", **fields("ITA", ["FRA"]))
    with pytest.raises(TypeError, match="missing value for reviewers"):
        new_row(
            ReviewerAssignment,
            phase_id="phase-1",
            instrument="convention",
            state_under_review="ITA",
        )


async def test_queued_rows_in_one_statement(
    db: Sessions, statements: list[str]
) -> None:
    states = ("ITA", "KEN", "JPN")
    async with db() as session, session.begin():
        keys = [("phase-1", "convention", state) for state in states]
        await preload_rows(session, ReviewerAssignment, keys)
        queue_inserts(session)
        sent_by_preload = len(statements)
        for state in states:
            insert_row(session, new_row(ReviewerAssignment, **fields(state, ["FRA"])))

        assert len(statements) == sent_by_preload

    assert len(writes(statements, "reviewer_assignment")) == 1
    assert await stored(db) == {state: ["FRA"] for state in states}


async def test_key_queued_twice_rejected(db: Sessions) -> None:
    async with db() as session:
        queue_inserts(session)
        insert_row(session, new_row(ReviewerAssignment, **fields("ITA", ["FRA"])))
        second = new_row(ReviewerAssignment, **fields("ITA", ["PER"]))

        with pytest.raises(ValueError, match="already queued"):
            insert_row(session, second)


async def test_queued_row_found_and_changed(db: Sessions) -> None:
    async with db() as session, session.begin():
        await preload_rows(session, ReviewerAssignment, [KEY])
        queue_inserts(session)
        insert_row(session, new_row(ReviewerAssignment, **fields("ITA", ["FRA"])))
        row = await get_row(session, ReviewerAssignment, KEY)
        assert row is not None and row.reviewers == ["FRA"]
        row.reviewers = ["PER"]

    assert await stored(db) == {"ITA": ["PER"]}


async def test_table_emptied_by_get_row_skipped(db: Sessions) -> None:
    # get_row moves the assignment from the queue into the session. The
    # remark stays queued, so the queue is written with no assignment left.
    async with db() as session, session.begin():
        await preload_rows(session, ReviewerAssignment, [KEY])
        queue_inserts(session)
        insert_row(session, new_row(ReviewerAssignment, **fields("ITA", ["FRA"])))
        insert_values(session, Remark, id=1)
        row = await get_row(session, ReviewerAssignment, KEY)
        assert row is not None

    assert await stored(db) == {"ITA": ["FRA"]}
    async with db() as session:
        remarks = (await session.exec(select(Remark))).all()
    assert [remark.id for remark in remarks] == [1]


async def test_query_sees_queued_rows(db: Sessions) -> None:
    async with db() as session, session.begin():
        await preload_rows(session, ReviewerAssignment, [KEY])
        queue_inserts(session)
        insert_row(session, new_row(ReviewerAssignment, **fields("ITA", ["FRA"])))
        rows = (await session.exec(select(ReviewerAssignment))).all()
        assert [row.reviewers for row in rows] == [["FRA"]]

        row = await get_row(session, ReviewerAssignment, KEY)
        assert row is not None and row.reviewers == ["FRA"]


async def test_savepoint_rollback_drops_inserted_row(
    db: Sessions,
) -> None:
    # A session that does not queue inserts adds the row at once, so the
    # savepoint's rollback drops it with the rest of the savepoint's work.
    async with db() as session, session.begin():
        insert_row(session, new_row(ReviewerAssignment, **fields("ITA", ["FRA"])))
        with pytest.raises(RuntimeError):
            async with session.begin_nested():
                row = new_row(ReviewerAssignment, **fields("KEN", ["PER"]))
                insert_row(session, row)
                raise RuntimeError("handler failed")

    assert await stored(db) == {"ITA": ["FRA"]}


async def test_rolled_back_row_not_found(db: Sessions) -> None:
    async with db() as session, session.begin():
        with pytest.raises(RuntimeError):
            async with session.begin_nested():
                add_row(session, KEY, assignment("ITA", ["FRA"]))
                raise RuntimeError("handler failed")

        assert await get_row(session, ReviewerAssignment, KEY) is None


async def test_queued_rows_get_database_keys(db: Sessions) -> None:
    async with db() as session, session.begin():
        queue_inserts(session)
        for state in ("ITA", "KEN", "JPN"):
            envelope = new_event(
                lots_drawn(("FRA", "BRA")), source="/draw", subject=state
            )
            record_event(session, envelope)

    async with db() as session:
        messages = (await session.exec(select(OutboxMessage))).all()
    assert sorted(message.id for message in messages) == [1, 2, 3]


async def test_queued_nulls_stay_null(db: Sessions, statements: list[str]) -> None:
    seen_at = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    async with db() as session, session.begin():
        queue_inserts(session)
        insert_row(session, new_row(Remark, id=1, text=None))
        insert_row(session, new_row(Remark, id=2))
        insert_row(session, new_row(Remark, id=3, text="late", seen_at=seen_at))

    async with db() as session:
        rows = (await session.exec(select(Remark).order_by(Remark.id))).all()
    assert [(row.text, row.seen_at) for row in rows] == [
        (None, None),
        ("none given", None),
        ("late", seen_at),
    ]
    # Every column of every row, NULLs included, in one statement.
    assert len(writes(statements, "preload_test_remark")) == 1


async def test_inserted_values_in_one_statement(
    db: Sessions, statements: list[str]
) -> None:
    async with db() as session, session.begin():
        queue_inserts(session)
        insert_values(session, Remark, id=1, text=None)
        insert_values(session, Remark, id=2)
        insert_values(session, Remark, id=3, text="late")

        assert statements == []

    async with db() as session:
        rows = (await session.exec(select(Remark).order_by(Remark.id))).all()
    assert [row.text for row in rows] == [None, "none given", "late"]
    assert len(writes(statements, "preload_test_remark")) == 1


async def test_rows_written_first_roll_back(db: Sessions) -> None:
    # The query makes the queued rows the transaction's first write.
    with pytest.raises(RuntimeError):
        async with db() as session, session.begin():
            queue_inserts(session)
            insert_values(session, Remark, id=1)
            await session.exec(select(Remark))
            raise RuntimeError("handler failed")

    async with db() as session:
        remarks = (await session.exec(select(Remark))).all()
    assert remarks == []


async def test_conflicting_queued_row_rolls_back(db: Sessions) -> None:
    await store(db, new_row(Remark, id=1, text="first"))
    duplicate_key = (
        sqlalchemy.exc.IntegrityError,
        asyncpg.UniqueViolationError,
    )

    with pytest.raises(duplicate_key):
        async with db() as session, session.begin():
            queue_inserts(session)
            insert_values(session, Remark, id=2, text="second")
            insert_values(session, Remark, id=1, text="again")
            await session.exec(select(Remark))

    async with db() as session:
        remarks = (await session.exec(select(Remark))).all()
    assert [(remark.id, remark.text) for remark in remarks] == [(1, "first")]


async def test_inserted_values_found_and_changed(db: Sessions) -> None:
    async with db() as session, session.begin():
        await preload_rows(session, ReviewerAssignment, [KEY])
        queue_inserts(session)
        insert_values(session, ReviewerAssignment, **fields("ITA", ["FRA"]))
        row = await get_row(session, ReviewerAssignment, KEY)
        assert row is not None
        assert row.reviewers == ["FRA"]
        assert row.redraw_number == 0
        row.reviewers = ["PER"]

    assert await stored(db) == {"ITA": ["PER"]}


async def test_insert_values_rejects_bad_rows(db: Sessions) -> None:
    async with db() as session:
        queue_inserts(session)
        insert_values(session, ReviewerAssignment, **fields("ITA", ["FRA"]))

        with pytest.raises(ValueError, match="already queued"):
            insert_values(session, ReviewerAssignment, **fields("ITA", ["PER"]))
        with pytest.raises(TypeError, match="unknown field colour"):
            insert_values(session, Remark, id=4, colour="red")


async def test_inserted_values_added_at_once(db: Sessions) -> None:
    # Without queueing, the row is in the session before the savepoint ends,
    # so the savepoint's rollback drops it.
    async with db() as session, session.begin():
        insert_values(session, ReviewerAssignment, **fields("ITA", ["FRA"]))
        with pytest.raises(RuntimeError):
            async with session.begin_nested():
                insert_values(session, ReviewerAssignment, **fields("KEN", ["PER"]))
                raise RuntimeError("handler failed")

    assert await stored(db) == {"ITA": ["FRA"]}


async def test_combined_preloaders_run_in_turn() -> None:
    calls: list[str] = []

    def preloader(name: str) -> Preloader:
        async def preload(_session: AsyncSession, payloads: Sequence[Any]) -> None:
            calls.append(f"{name}:{len(payloads)}")

        return preload

    combined = combine_preloaders(
        {"drawn": preloader("lots"), "redrawn": preloader("lots")},
        {"drawn": preloader("directory")},
    )
    await combined["drawn"](cast(AsyncSession, None), [1, 2])
    await combined["redrawn"](cast(AsyncSession, None), [3])

    assert calls == ["lots:2", "directory:2", "lots:1"]
    assert combined.keys() == {"drawn", "redrawn"}


def pair(*states: str) -> list[DrawnReviewer]:
    roles = ("same_regional_group", "other_regional_group")
    return [
        DrawnReviewer(iso3=state, regional_group="G", legal_system=None, role=role)
        for state, role in zip(states, roles, strict=True)
    ]


REVIEW = {
    "phase_id": "phase-1",
    "instrument": Instrument.CONVENTION,
    "state_under_review": "ITA",
    "regional_group": "G",
    "clusters": [Cluster.CRIMINALIZATION],
    "similar_legal_system": True,
}
MEETING = MeetingReference(
    meeting_id="wg-1",
    kind="intersessional",
    date=dt.date(2025, 3, 1),
    states_present=["FRA", "ITA"],
)


def lots_drawn(reviewers: tuple[str, str]) -> LotsDrawn:
    return LotsDrawn(**REVIEW, reviewers=pair(*reviewers))


def lots_redrawn(number: int, reviewers: tuple[str, str]) -> LotsRedrawn:
    return LotsRedrawn(
        **REVIEW,
        reviewers=pair(*reviewers),
        replaced=["BRA"],
        redraw_number=number,
        requested_by="FRA",
        reason="conflict of interest",
        meeting=MEETING,
    )


async def consume(db: Sessions, payloads: list[LotsDrawn | LotsRedrawn]) -> None:
    """Publish the events and let one consumer handle them, as one batch."""
    bus = MemoryBus()
    records = [
        Record(TOPIC_DRAW, "ITA", encode(new_event(p, source="/draw", subject="ITA")))
        for p in payloads
    ]
    await bus.publisher().publish(records, timeout=1.0)
    consumer = EventConsumer(
        CONSUMER,
        bus=bus,
        topics=[TOPIC_DRAW],
        handlers=LOTS_HANDLERS,
        preloaders=LOTS_PRELOADERS,
        sessions=db,
        dead_letters=bus.publisher(),
    )
    task = asyncio.create_task(consumer.run())
    async with asyncio.timeout(5):
        while bus.committed(CONSUMER, TOPIC_DRAW) < len(records):
            await asyncio.sleep(0.01)
    consumer.request_stop()
    await task


async def stored_pair(db: Sessions) -> list[str]:
    async with db() as session:
        row = await session.get(ReviewerAssignment, KEY)
    assert row is not None
    return list(row.reviewers)


async def test_one_batch_keeps_latest_redraw(
    db: Sessions, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="palermo_shared.inbox")

    await consume(
        db,
        [
            lots_drawn(("FRA", "BRA")),
            lots_redrawn(2, ("FRA", "PER")),
            lots_redrawn(1, ("FRA", "KEN")),
        ],
    )

    assert await stored_pair(db) == ["FRA", "PER"]
    assert "not committed" not in caplog.text


async def test_later_batch_finds_the_stored_pair(db: Sessions) -> None:
    await consume(db, [lots_redrawn(1, ("FRA", "KEN"))])
    await consume(db, [lots_drawn(("FRA", "BRA"))])

    assert await stored_pair(db) == ["FRA", "KEN"]


async def test_queued_values_stored_unchanged(db: Sessions) -> None:
    # Binary, timestamp, reserved-word and defaulted columns, as a consumer
    # batch writes them.
    created_at = dt.datetime(2026, 3, 4, 5, 6, 7, 89, tzinfo=dt.UTC)
    queued = [
        {
            "event_id": f"event-{n}",
            "event_type": "palermo.test",
            "topic": "palermo.draw",
            "key": f"KEN/{n}",
            "value": bytes([0, n, 255]),
            "headers": "[]",
            "created_at": created_at + dt.timedelta(seconds=n),
        }
        for n in (1, 2)
    ]
    async with db() as session, session.begin():
        queue_inserts(session)
        for values in queued:
            insert_values(session, OutboxMessage, **values)

    async with db() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.event_id)
        stored = (await session.exec(query)).all()
    for row, values in zip(stored, queued, strict=True):
        assert row.model_dump(include=set(values)) == values
        assert row.attempts == 0
        assert row.published_at is None
