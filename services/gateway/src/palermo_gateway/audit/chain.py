"""The hash chain of the audit log: appending entries and verifying the chain.

Each entry's SHA-256 covers its canonical JSON, which includes the previous
entry's hash, so changing, removing or inserting any entry breaks every
link after it. The first entry follows `GENESIS_SHA256`.

Appends are serialized by the database: SQLite write transactions begin
`IMMEDIATE` and so run one at a time, and on PostgreSQL an append first
takes a transaction-level advisory lock. The unique `previous_sha256`
column rejects a fork even if a writer skipped the lock.
"""

import datetime as dt
import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_gateway.audit.tables import AuditEntry
from palermo_shared.db import create_engine, session_factory, sqlite_file

GENESIS_SHA256 = "0" * 64
# Any constant works; it only has to be the same for every gateway instance.
_POSTGRESQL_APPEND_LOCK = 0x70616C65726D6F

_HASHED_FIELDS = (
    "sequence",
    "kind",
    "recorded_at",
    "subject",
    "role",
    "state",
    "method",
    "path",
    "request_id",
    "status_code",
    "event_type",
    "event_id",
    "event_subject",
    "event_time",
    "previous_sha256",
)


def canonical_json(entry: AuditEntry) -> str:
    """Return the entry's hashed fields as compact JSON with sorted keys."""
    fields = {name: _canonical_value(getattr(entry, name)) for name in _HASHED_FIELDS}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _canonical_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return value


def entry_sha256(entry: AuditEntry) -> str:
    return hashlib.sha256(canonical_json(entry).encode()).hexdigest()


async def append_entry(session: AsyncSession, entry: AuditEntry) -> AuditEntry:
    """Chain `entry` after the last one, in the caller's transaction."""
    await _lock_chain(session)
    last = await _last_entry(session)

    entry.sequence = 1 if last is None else last.sequence + 1
    entry.previous_sha256 = GENESIS_SHA256 if last is None else last.sha256
    entry.sha256 = entry_sha256(entry)

    session.add(entry)
    await session.flush()
    return entry


async def _lock_chain(session: AsyncSession) -> None:
    if session.get_bind().dialect.name == "postgresql":
        await session.exec(  # type: ignore[call-overload]
            text("SELECT pg_advisory_xact_lock(:key)").bindparams(
                key=_POSTGRESQL_APPEND_LOCK
            )
        )


async def _last_entry(session: AsyncSession) -> AuditEntry | None:
    query = select(AuditEntry).order_by(col(AuditEntry.sequence).desc()).limit(1)
    return (await session.exec(query)).first()


@dataclass(frozen=True)
class BrokenLink:
    """The first entry at which the chain no longer holds, and why."""

    sequence: int
    reason: str


@dataclass(frozen=True)
class ChainReport:
    entries: int
    broken: BrokenLink | None


async def verify_chain(engine: AsyncEngine, *, batch_size: int = 1000) -> ChainReport:
    """Walk the chain in sequence order and report its first broken link."""
    expected_sequence = 1
    previous = GENESIS_SHA256
    async for entry in _entries(engine, batch_size):
        problem = _link_problem(entry, expected_sequence, previous)
        if problem is not None:
            return ChainReport(
                expected_sequence - 1, BrokenLink(expected_sequence, problem)
            )
        expected_sequence += 1
        previous = entry.sha256
    return ChainReport(expected_sequence - 1, None)


def _link_problem(entry: AuditEntry, sequence: int, previous: str) -> str | None:
    if entry.sequence != sequence:
        return f"sequence {sequence} is missing; the next entry is {entry.sequence}"
    if entry.previous_sha256 != previous:
        return (
            f"previous_sha256 is {entry.previous_sha256}, but entry "
            f"{sequence - 1} has the hash {previous}"
        )
    recomputed = entry_sha256(entry)
    if entry.sha256 != recomputed:
        return (
            f"stored sha256 {entry.sha256} differs from {recomputed}, "
            "the hash of the entry's content"
        )
    return None


async def _entries(engine: AsyncEngine, batch_size: int) -> AsyncIterator[AuditEntry]:
    sessions = session_factory(engine)
    after = 0
    while True:
        async with sessions() as session:
            query = (
                select(AuditEntry)
                .where(col(AuditEntry.sequence) > after)
                .order_by(col(AuditEntry.sequence))
                .limit(batch_size)
            )
            batch = list((await session.exec(query)).all())
        if not batch:
            return
        for entry in batch:
            yield entry
        after = batch[-1].sequence


class AuditLogMissing(Exception):
    """Raised when a database to verify contains no audit log."""


async def verify_database(database_url: str) -> ChainReport:
    """Verify the chain of the gateway database at `database_url`.

    Raises AuditLogMissing, and creates no file, when the SQLite file does
    not exist or the database has no audit table.
    """
    database_file = sqlite_file(database_url)
    if database_file is not None and not database_file.exists():
        raise AuditLogMissing(f"no audit log: {database_file} does not exist")

    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            has_audit_table = await connection.run_sync(_has_audit_table)
        if not has_audit_table:
            where = database_file or "the database"
            raise AuditLogMissing(
                f"no audit log: {where} has no {AuditEntry.__tablename__} table"
            )

        return await verify_chain(engine)
    finally:
        await engine.dispose()


def _has_audit_table(connection: Connection) -> bool:
    return inspect(connection).has_table(AuditEntry.__tablename__)
