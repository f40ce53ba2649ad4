"""Transactional outbox: events are written with the state change, then relayed.

A service calls `record_event` inside the transaction that changes its
state, so the event exists if and only if the change was committed. The
`OutboxRelay` publishes pending rows in batches afterwards.

The relay never remembers "the last id published": on PostgreSQL ids are
taken at insert but rows become visible at commit, out of order, so such a
relay would skip rows for good. It selects rows that are not yet published
and keeps other replicas off them while it publishes. On PostgreSQL it holds
their row locks (`FOR UPDATE SKIP LOCKED`) in a transaction that lasts until
they are marked published. SQLite has no row locks and a transaction would
keep every writer out, so there the relay claims the rows with a short lease
instead, which costs one more write per row. A row published twice (a crash
between publish and mark) is harmless because consumers deduplicate by event
id.
"""

import asyncio
import contextlib
import datetime as dt
import functools
import json
import logging
from collections.abc import Sequence

import sqlalchemy
from sqlalchemy import ColumnElement, LargeBinary, Row, Select, Update, func, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import Column, Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_shared.bus import Publisher, PublishError, Record
from palermo_shared.clock import utcnow
from palermo_shared.db import DatabaseUnreachable, one_of
from palermo_shared.events import Envelope, encode, topic_of
from palermo_shared.preload import insert_values
from palermo_shared.telemetry import Headers, inject_headers

logger = logging.getLogger(__name__)

CLOUDEVENTS_CONTENT_TYPE = b"application/cloudevents+json; charset=UTF-8"


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(unique=True, max_length=64)
    event_type: str = Field(max_length=200)
    topic: str = Field(max_length=200)
    key: str = Field(max_length=200)
    value: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    headers: str = Field(description="JSON list of [name, value] pairs")
    created_at: dt.datetime = Field(default_factory=utcnow)
    claimed_until: dt.datetime | None = None
    published_at: dt.datetime | None = Field(default=None, index=True)
    attempts: int = 0
    last_error: str | None = None


def record_event(session: AsyncSession, envelope: Envelope) -> None:
    """Add an event to the outbox in the caller's transaction.

    The current trace context is stored with it, so that consumers continue
    the trace of the request that caused the event.
    """
    insert_values(
        session,
        OutboxMessage,
        event_id=envelope.id,
        event_type=envelope.type,
        topic=topic_of(envelope),
        key=envelope.subject,
        value=encode(envelope),
        headers=_stored_headers(inject_headers()),
    )


# The events of one handler share their trace context, and without tracing
# every event has the same headers, so both conversions are cached.
@functools.lru_cache(maxsize=1024)
def _stored_headers(trace_headers: Headers) -> str:
    headers = [("content-type", CLOUDEVENTS_CONTENT_TYPE), *trace_headers]
    return json.dumps([[key, value.decode()] for key, value in headers])


@functools.lru_cache(maxsize=1024)
def _record_headers(stored: str) -> Headers:
    return tuple((key, value.encode()) for key, value in json.loads(stored))


# The columns the relay reads of a pending row. Selecting them, rather than
# whole rows, spares building a session object for each row of a batch.
_PENDING_COLUMNS = (
    col(OutboxMessage.id),
    col(OutboxMessage.event_id),
    col(OutboxMessage.event_type),
    col(OutboxMessage.topic),
    col(OutboxMessage.key),
    col(OutboxMessage.value),
    col(OutboxMessage.headers),
    col(OutboxMessage.attempts),
)
_Pending = Row[int | None, str, str, str, str, bytes, str, int]


def _to_record(row: _Pending) -> Record:
    return Record(
        topic=row.topic,
        key=row.key,
        value=row.value,
        headers=_record_headers(row.headers),
    )


class OutboxRelay:
    """Publish pending outbox rows in batches, retrying with backoff.

    Publishing failures never reach the API: requests keep committing rows
    while the broker is away, and the relay catches up when it is back.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        publisher: Publisher,
        *,
        service: str,
        batch_size: int = 500,
        publish_timeout: float = 10.0,
        poll_interval: float = 0.5,
        max_backoff: float = 30.0,
        lease: dt.timedelta = dt.timedelta(seconds=60),
        warn_after_attempts: int = 5,
    ) -> None:
        self._sessions = sessions
        self._publisher = publisher
        self._service = service
        self._batch_size = batch_size
        self._publish_timeout = publish_timeout
        self._poll_interval = poll_interval
        self._max_backoff = max_backoff
        self._lease = lease
        self._warn_after_attempts = warn_after_attempts
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()
        self.published_total = 0

    def wake(self) -> None:
        """Tell the relay that new rows were committed."""
        self._wakeup.set()

    def request_stop(self) -> None:
        """Make `run` return once the batch in hand is published.

        Cancelling the relay instead could interrupt a SQLite statement in
        its transaction; the connection would then keep the write lock.
        """
        self._stopping.set()
        self._wakeup.set()

    async def run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                published = await self.publish_pending()
            except (PublishError, DatabaseUnreachable, DBAPIError) as error:
                # The rows stay pending. The next attempt may succeed once the
                # broker or the database is back, or writable again.
                failures += 1
                await self._back_off(failures, error)
                continue
            except Exception as error:
                # An unexpected error must not end the relay for good either.
                failures += 1
                logger.exception("%s outbox: relay failed", self._service)
                await self._back_off(failures, error)
                continue
            failures = 0
            if published == 0:
                await self._wait_for_rows()

    async def _back_off(self, failures: int, error: Exception) -> None:
        delay = min(self._max_backoff, 0.2 * 2**failures)
        # SQLAlchemy's own text adds a second line with a link.
        reason = error.orig if isinstance(error, DBAPIError) else error
        logger.warning(
            "%s outbox: publishing failed, retrying in %.1fs: %s",
            self._service,
            delay,
            reason,
        )
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self._stopping.wait()

    async def publish_pending(self) -> int:
        """Publish every pending row; return how many were published.

        Raises `PublishError` when a batch fails; its rows stay pending.
        """
        total = 0
        while True:
            published = await self._publish_batch()
            if published == 0:
                return total
            total += published

    async def pending_count(self) -> int:
        async with self._sessions() as session:
            query = select(func.count()).where(
                col(OutboxMessage.published_at).is_(None)
            )
            return (await session.exec(query)).one()

    async def _wait_for_rows(self) -> None:
        # asyncio.timeout rather than wait_for: on Python 3.11, wait_for can
        # swallow a cancellation that arrives as the event is set, and the
        # relay would then never stop.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._poll_interval):
                await self._wakeup.wait()
        self._wakeup.clear()

    async def _publish_batch(self) -> int:
        """Publish the oldest pending rows that no other relay has locked or
        claimed, and return how many were published."""
        async with self._sessions() as session:
            if session.get_bind().dialect.name == "postgresql":
                return await self._publish_locked_batch(session)
        rows = await self._claim_batch()
        if rows:
            await self._publish_claimed(rows)
        return len(rows)

    async def _publish_locked_batch(self, session: AsyncSession) -> int:
        """Publish a batch while holding its row locks, then mark it published.

        A failed publish is recorded in the same transaction, which also
        releases the locks. The transaction stays open for up to the publish
        timeout.
        """
        connection = await session.connection()
        rows = (await connection.execute(self._pending_query())).all()
        if not rows:
            return 0
        ids = [r.id for r in rows]

        try:
            await self._publish_records(rows)
        except PublishError as error:
            await connection.execute(
                _release_failed(ids, str(error), dialect="postgresql")
            )
            await session.commit()
            self._report_stuck(rows)
            raise

        await connection.execute(_mark_published(ids, dialect="postgresql"))
        await session.commit()
        self._count_published(rows)
        return len(rows)

    async def _claim_batch(self) -> Sequence[_Pending]:
        now = utcnow()
        async with self._sessions() as session, session.begin():
            claimable = col(OutboxMessage.claimed_until).is_(None) | (
                col(OutboxMessage.claimed_until) < now
            )
            connection = await session.connection()
            rows = (await connection.execute(self._pending_query(claimable))).all()
            if rows:
                await connection.execute(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.id).in_([r.id for r in rows]))
                    .values(claimed_until=now + self._lease)
                )
        return rows

    def _pending_query(
        self, *conditions: ColumnElement[bool]
    ) -> Select[int | None, str, str, str, str, bytes, str, int]:
        return (
            sqlalchemy.select(*_PENDING_COLUMNS)
            .where(col(OutboxMessage.published_at).is_(None), *conditions)
            .order_by(col(OutboxMessage.id))
            .limit(self._batch_size)
            .with_for_update(skip_locked=True)
        )

    async def _publish_claimed(self, rows: Sequence[_Pending]) -> None:
        ids = [r.id for r in rows]
        try:
            await self._publish_records(rows)
        except PublishError as error:
            async with self._sessions() as session, session.begin():
                await session.exec(_release_failed(ids, str(error), dialect="sqlite"))
            self._report_stuck(rows)
            raise

        async with self._sessions() as session, session.begin():
            await session.exec(_mark_published(ids, dialect="sqlite"))
        self._count_published(rows)

    async def _publish_records(self, rows: Sequence[_Pending]) -> None:
        await self._publisher.publish(
            [_to_record(r) for r in rows], timeout=self._publish_timeout
        )

    def _count_published(self, rows: Sequence[_Pending]) -> None:
        self.published_total += len(rows)
        logger.debug("%s outbox: published %d events", self._service, len(rows))

    def _report_stuck(self, rows: Sequence[_Pending]) -> None:
        oldest = rows[0]
        if oldest.attempts + 1 >= self._warn_after_attempts:
            logger.error(
                "%s outbox: event %s (%s) failed %d publish attempts; "
                "check the broker connection",
                self._service,
                oldest.event_id,
                oldest.event_type,
                oldest.attempts + 1,
            )


def _mark_published(ids: Sequence[int | None], *, dialect: str) -> Update:
    return (
        update(OutboxMessage)
        .where(one_of(col(OutboxMessage.id), ids, dialect=dialect))
        .values(published_at=utcnow(), claimed_until=None)
    )


def _release_failed(ids: Sequence[int | None], reason: str, *, dialect: str) -> Update:
    """Release rows whose publish failed and count the attempt."""
    return (
        update(OutboxMessage)
        .where(one_of(col(OutboxMessage.id), ids, dialect=dialect))
        .values(
            claimed_until=None,
            attempts=OutboxMessage.attempts + 1,
            last_error=reason[:2000],
        )
    )
