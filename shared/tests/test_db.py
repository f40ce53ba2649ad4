"""Database engines as the services create them."""

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import DateTime, event, func, insert, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_shared.db import SQLITE_PAGE_SIZE, create_engine, create_tables, one_of
from palermo_shared.inbox import ProcessedEvent


async def test_postgresql_plans_each_execution(postgresql_engine: AsyncEngine) -> None:
    async with postgresql_engine.connect() as connection:
        mode = (await connection.execute(text("SHOW plan_cache_mode"))).scalar_one()

    assert mode == "force_custom_plan"


async def test_postgresql_batches_inserted_rows(
    postgresql_engine: AsyncEngine,
) -> None:
    engine = postgresql_engine
    now = dt.datetime.now(dt.UTC)
    rows = [
        {"consumer": "c", "event_id": f"e{n}", "event_type": "t", "handled_at": now}
        for n in range(50)
    ]
    inserts: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("INSERT INTO inbox"):
            inserts.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        async with engine.begin() as connection:
            await connection.execute(insert(ProcessedEvent), rows)
            count = select(func.count()).select_from(ProcessedEvent)
            stored = await connection.scalar(count)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)

    assert stored == 50
    [statement] = inserts
    assert statement.count("), (") == 49


async def store_inbox_rows(engine: AsyncEngine, event_ids: list[str]) -> None:
    now = dt.datetime.now(dt.UTC)
    rows = [
        {"consumer": "c", "event_id": event_id, "event_type": "t", "handled_at": now}
        for event_id in event_ids
    ]
    async with engine.begin() as connection:
        await connection.execute(insert(ProcessedEvent), rows)


async def stored_among(engine: AsyncEngine, event_ids: list[str]) -> list[str]:
    """Return the stored inbox event ids that are in `event_ids`."""
    condition = one_of(
        col(ProcessedEvent.event_id), event_ids, dialect=engine.dialect.name
    )
    query = select(ProcessedEvent.event_id).where(condition)
    async with engine.connect() as connection:
        return sorted((await connection.scalars(query)).all())


async def test_one_of_matches_listed_values(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    engine = sessions.kw["bind"]
    await create_tables(engine, [ProcessedEvent])
    await store_inbox_rows(engine, [f"e{n}" for n in range(10)])

    assert await stored_among(engine, ["e1", "e3", "absent"]) == ["e1", "e3"]
    assert await stored_among(engine, []) == []


async def test_one_of_above_parameter_limit(postgresql_engine: AsyncEngine) -> None:
    # PostgreSQL's protocol allows 65,535 parameters per statement, and the
    # array counts as one.
    await create_tables(postgresql_engine, [ProcessedEvent])
    await store_inbox_rows(postgresql_engine, ["e1", "e69999"])
    listed = [f"e{n}" for n in range(70_000)]

    assert await stored_among(postgresql_engine, listed) == ["e1", "e69999"]


# Microseconds of zero, a year below 1000 and an offset other than UTC are
# where a hand-written format would part from SQLAlchemy's.
TIMESTAMPS = [
    dt.datetime(2026, 12, 5, 9, 30, 15, 123456, tzinfo=dt.UTC),
    dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
    dt.datetime(999, 7, 8, 0, 0, 0, 7, tzinfo=dt.UTC),
    dt.datetime(
        2026, 6, 30, 23, 59, 59, 999999, tzinfo=dt.timezone(dt.timedelta(hours=2))
    ),
]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("timestamp", TIMESTAMPS, ids=str)
async def test_sqlite_timestamps_match_sqlalchemy_format(
    sessions: async_sessionmaker[AsyncSession], timestamp: dt.datetime
) -> None:
    sqlalchemy_dialect = sqlite.dialect()
    sqlalchemy_type = DateTime().dialect_impl(sqlalchemy_dialect)
    sqlalchemy_format = sqlalchemy_type.bind_processor(sqlalchemy_dialect)
    assert sqlalchemy_format is not None

    async with sessions() as session, session.begin():
        session.add(
            ProcessedEvent(
                consumer="c", event_id="e", event_type="t", handled_at=timestamp
            )
        )
    async with sessions() as session:
        connection = await session.connection()
        stored = (
            await connection.execute(text("SELECT handled_at FROM inbox"))
        ).scalar_one()
        read = await session.get(ProcessedEvent, ("c", "e"))

    assert stored == sqlalchemy_format(timestamp.astimezone(dt.UTC))
    assert read is not None
    assert read.handled_at == timestamp


@pytest.mark.sqlite_only
async def test_new_sqlite_database_uses_large_pages(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'new.db'}")
    await create_tables(engine, [ProcessedEvent])

    async with engine.connect() as connection:
        page_size = (await connection.exec_driver_sql("PRAGMA page_size")).scalar()
    await engine.dispose()

    assert page_size == SQLITE_PAGE_SIZE


@pytest.mark.sqlite_only
async def test_existing_sqlite_database_keeps_its_pages(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as existing:
        existing.execute("PRAGMA page_size=4096")
        existing.execute("CREATE TABLE kept (id INTEGER PRIMARY KEY)")
        existing.execute("INSERT INTO kept VALUES (7)")
    existing.close()
    engine = create_engine(f"sqlite+aiosqlite:///{path}")

    async with engine.connect() as connection:
        page_size = (await connection.exec_driver_sql("PRAGMA page_size")).scalar()
        stored_id = (await connection.exec_driver_sql("SELECT id FROM kept")).scalar()
    await engine.dispose()

    assert page_size == 4096
    assert stored_id == 7
