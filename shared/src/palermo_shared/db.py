"""Database engines and sessions: SQLite by default, PostgreSQL in production.

On SQLite every transaction starts with `BEGIN IMMEDIATE` and the journal is
in WAL mode. A deferred transaction that reads and then writes gets
"database is locked" at once, ignoring the busy timeout, when another writer
is active; an immediate one waits for the lock instead.
"""

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Table,
    any_,
    event,
    inspect,
    literal,
    text,
    types,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import URL, Dialect, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Mapped
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

SQLITE_BUSY_TIMEOUT_SECONDS = 30

# The largest integer a query parameter may carry: SQLite's INTEGER and
# PostgreSQL's bigint have 64 bits, and a larger value makes the driver raise.
MAX_STORED_INT = 2**63 - 1

# Bytes per page of a new SQLite database (SQLite's default is 4,096). In six
# alternating runs, the notify consumer waited about 13 µs less per event for
# SQLite with 16 KiB pages, and handled about 10% more events a second.
SQLITE_PAGE_SIZE = 16_384


# asyncpg prepares every statement, and after five executions of one
# statement PostgreSQL may keep a generic plan, made without the parameter
# values. A consumer's check of a batch against its inbox kept the plan
# chosen while the inbox was nearly empty, which scans every row. Its cost
# grew with the table, and the questionnaire consumer handled 2,761 events
# a second from an empty database against 5,002 with a plan per execution.
POSTGRESQL_SETTINGS = {"plan_cache_mode": "force_custom_plan"}


# PostgreSQL's default port, which asyncpg uses when the URL names none.
DEFAULT_POSTGRESQL_PORT = 5432


class DatabaseUnreachable(ConnectionError):
    """Raised when a connection to the PostgreSQL server cannot be opened.

    The message names the database, host and port, without the password.
    asyncpg raises the operating system's error, which SQLAlchemy passes on
    unwrapped, so without this class a request would fail with a bare
    "[Errno 111] Connection refused" and status 500.
    """


def create_engine(database_url: str) -> AsyncEngine:
    """Create an async engine (sqlite+aiosqlite or postgresql+asyncpg URLs)."""
    if database_url.startswith("sqlite"):
        return _create_sqlite_engine(database_url)
    engine = create_async_engine(
        database_url,
        pool_pre_ping=True,
        connect_args={"server_settings": POSTGRESQL_SETTINGS},
    )
    # asyncpg's executemany runs the INSERT once per row, so SQLAlchemy sends
    # many rows per statement instead, as for a consumer batch's inbox rows.
    engine.dialect.use_insertmanyvalues_wo_returning = True
    _name_unreachable_server(engine)
    return engine


def describe_database(url: URL) -> str:
    """Return the database name, host and port of `url`, without credentials.

    A Unix socket folder passed as the `host` query parameter counts as the host.
    """
    host = url.host or url.query.get("host") or "the default host"
    port = url.port or url.query.get("port") or DEFAULT_POSTGRESQL_PORT
    return f"database {url.database!r} on {host}:{port}"


def _name_unreachable_server(engine: AsyncEngine) -> None:
    """Raise `DatabaseUnreachable` where a connection fails with an OSError."""
    target = describe_database(engine.url)

    @event.listens_for(engine.sync_engine, "do_connect")
    def connect(
        dialect: Dialect, _record: Any, cargs: Any, cparams: dict[str, Any]
    ) -> Any:
        try:
            return dialect.connect(*cargs, **cparams)
        except OSError as error:
            raise DatabaseUnreachable(f"cannot connect to {target}: {error}") from error


def sqlite_file(database_url: str) -> Path | None:
    """Return the file of an SQLite database URL.

    Returns None for an in-memory SQLite database and for other databases.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def one_of(
    column: Mapped[Any], values: Sequence[Any], *, dialect: str
) -> ColumnElement[bool]:
    """Return the condition that `column` equals one of `values`.

    SQLAlchemy renders an IN list as one parameter per value, anew at each
    execution. On PostgreSQL the values go as one array parameter instead,
    and the notify consumer spent about 20 µs less of event-loop time per
    event (four alternating runs).
    """
    if dialect != "postgresql":
        return column.in_(values)
    column_type = inspect(column).type
    return column == any_(literal(list(values), ARRAY(column_type)))


async def lock_until_commit(session: AsyncSession, name: str) -> None:
    """Serialize the transactions that take the lock `name` until they end.

    SQLite write transactions begin `IMMEDIATE` and so already run one at a
    time. On PostgreSQL this takes a transaction-level advisory lock, so two
    requests cannot both find a row missing and both insert it.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    # The advisory lock key is a signed 64-bit integer.
    digest = hashlib.sha256(name.encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    await session.exec(  # type: ignore[call-overload]
        text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=key)
    )


def _create_sqlite_engine(database_url: str) -> AsyncEngine:
    engine = create_async_engine(
        database_url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
    )
    # Set on this engine's dialect only: other engines keep SQLAlchemy's type.
    dialect = engine.dialect
    dialect.colspecs = {**dialect.colspecs, types.DateTime: _SQLiteDateTime}
    _configure_sqlite(engine.sync_engine)
    return engine


# The text of sqlite.DATETIME's default storage format, by position.
_SQLITE_DATETIME_FORMAT = "%04d-%02d-%02d %02d:%02d:%02d.%06d"


class _SQLiteDateTime(sqlite.DATETIME):
    """SQLite's DATETIME, with bound datetimes formatted from a tuple.

    SQLAlchemy fills a dict of seven fields for every value it formats. A
    tuple gives the same text in about half the time (0.5 µs against 1 µs),
    which a consumer writing ten timestamps per event notices.
    """

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        default = super().bind_processor(dialect)
        if self._storage_format != sqlite.DATETIME._storage_format or default is None:
            return default

        def process(value: Any) -> Any:
            if not isinstance(value, dt.datetime):
                return default(value)
            return _SQLITE_DATETIME_FORMAT % (
                value.year,
                value.month,
                value.day,
                value.hour,
                value.minute,
                value.second,
                value.microsecond,
            )

        return process


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself, so it can be IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # Set before WAL mode and the first table. A database keeps the page
        # size it was created with, so an existing one is unchanged.
        cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def create_tables(engine: AsyncEngine, models: Sequence[type[SQLModel]]) -> None:
    """Create the tables of `models` that do not exist yet.

    Each service passes its own models, because all SQLModel tables share one
    metadata object and a service must not create another service's tables.
    """
    tables: list[Table] = [model.__table__ for model in models]  # type: ignore[attr-defined]
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all, tables=tables)
