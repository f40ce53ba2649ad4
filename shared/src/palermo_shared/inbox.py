"""Idempotent consumers: the inbox table and the consume loop.

Failure policy, the same for every consumer:

- A message that is not a valid envelope, or whose data does not match the
  schema of its type, goes to the dead-letter topic with the reason and its
  origin (topic, partition, offset, consumer group), and an ERROR is logged.
- Events are handled a batch at a time in one transaction, each in its own
  savepoint. A handler that raises there is rolled back alone and retried
  with backoff in a fresh transaction of its own, up to `max_attempts`
  attempts in all; then the message is dead-lettered the same way.
- Event types that the consumer has no handler for are skipped.
- Offsets are committed only after every message of the batch was handled
  or dead-lettered, and a handled message's database transaction committed.

Deduplication is by construction: the event id is inserted into `inbox`
inside the handler's transaction, under a primary key, so a redelivered
event fails that insert and is skipped, and a crash before commit leaves
neither the id nor the handler's changes.
"""

import asyncio
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

from opentelemetry import trace
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_shared.bus import (
    Bus,
    Delivery,
    Publisher,
    PublishError,
    Record,
    Subscription,
)
from palermo_shared.clock import utcnow
from palermo_shared.db import one_of
from palermo_shared.events import (
    TOPIC_DEAD_LETTER,
    Envelope,
    EventDecodeError,
    EventPayload,
    UnknownEventType,
    decode,
    payload_of,
)
from palermo_shared.preload import Preloader, queue_inserts
from palermo_shared.retry import retry_until_done
from palermo_shared.telemetry import extract_context

logger = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

Handler = Callable[[AsyncSession, Envelope, EventPayload], Awaitable[None]]


class ProcessedEvent(SQLModel, table=True):
    __tablename__ = "inbox"

    consumer: str = Field(primary_key=True, max_length=100)
    event_id: str = Field(primary_key=True, max_length=64)
    event_type: str = Field(max_length=200)
    handled_at: dt.datetime = Field(default_factory=utcnow)


class _Duplicate(Exception):
    pass


class _HandlerFailed(Exception):
    """A handler raised while its batch was handled at once."""

    def __init__(self, event: "_Event", error: Exception) -> None:
        super().__init__(f"handler of event {event.envelope.id} failed: {error!r}")
        self.event = event
        self.error = error


@dataclass(frozen=True)
class _Event:
    delivery: Delivery
    envelope: Envelope
    payload: EventPayload


class EventConsumer:
    """Consume topics as one consumer group and dispatch events to handlers."""

    def __init__(
        self,
        name: str,
        *,
        bus: Bus,
        topics: Sequence[str],
        handlers: Mapping[str, Handler],
        preloaders: Mapping[str, Preloader] | None = None,
        sessions: async_sessionmaker[AsyncSession],
        dead_letters: Publisher,
        after_commit: Callable[[], None] = lambda: None,
        batch_size: int = 500,
        max_attempts: int = 3,
        publish_timeout: float = 10.0,
    ) -> None:
        self.name = name
        self._bus = bus
        self._topics = tuple(topics)
        self._handlers = dict(handlers)
        self._preloaders = dict(preloaders or {})
        self._sessions = sessions
        self._dead_letters = dead_letters
        self._after_commit = after_commit
        self._batch_size = batch_size
        self._max_attempts = max_attempts
        self._publish_timeout = publish_timeout
        self.handled_total = 0
        self.dead_lettered_total = 0
        self.ready = asyncio.Event()
        self._stopping = asyncio.Event()

    def request_stop(self) -> None:
        """Ask the loop to return after the batch in hand is committed."""
        self._stopping.set()

    async def run(self) -> None:
        subscription = self._bus.subscription(self._topics, group=self.name)
        await retry_until_done(
            subscription.start, description=f"consumer {self.name}: joining the broker"
        )
        self.ready.set()
        logger.info("consumer %s started on %s", self.name, ", ".join(self._topics))
        try:
            while not self._stopping.is_set():
                batch = await self._fetch_unless_stopped(subscription)
                if not batch:
                    continue
                handled_before = self.handled_total
                await self._process_batch(batch)
                await subscription.commit()
                self._after_commit()
                logger.info(
                    "consumer %s committed a batch of %d messages: %d events handled",
                    self.name,
                    len(batch),
                    self.handled_total - handled_before,
                )
        finally:
            await subscription.stop()
            logger.info("consumer %s stopped", self.name)

    async def _fetch_unless_stopped(self, subscription: Subscription) -> list[Delivery]:
        """Fetch the next batch, or return nothing as soon as a stop is requested.

        A fetch cancelled by the stop may drop records it had read, which is
        safe because their offsets were not committed: they are read again
        by the group's next consumer.
        """
        fetch = asyncio.ensure_future(
            subscription.fetch(max_records=self._batch_size, timeout=1.0)
        )
        stop = asyncio.ensure_future(self._stopping.wait())
        done, _ = await asyncio.wait({fetch, stop}, return_when=asyncio.FIRST_COMPLETED)
        if fetch in done:
            stop.cancel()
            return fetch.result()
        fetch.cancel()
        await asyncio.gather(fetch, return_exceptions=True)
        return []

    async def _process_batch(self, batch: list[Delivery]) -> None:
        """Handle a batch in one transaction, falling back to finer steps on failure.

        Committing once per batch instead of once per event saves a commit, and
        on PostgreSQL a disk flush, per event. The batch is first handled with no
        savepoint at all. If that fails, the other events are handled again with
        a savepoint each, so a failing handler rolls back only its own changes,
        and the events that failed are then retried one by one.
        """
        events = [event for d in batch if (event := await self._parse(d)) is not None]
        if not events:
            return
        failed: list[tuple[_Event, Exception | None]] = []
        try:
            await self._handle_at_once(events)
            return
        except _HandlerFailed as failure:
            self._log_failure(failure.event, 1, failure.error)
            failed.append((failure.event, failure.error))
            events = [event for event in events if event is not failure.event]
        except Exception as error:
            logger.info(
                "consumer %s: batch of %d events not committed (%r); handling "
                "each event in a savepoint",
                self.name,
                len(events),
                error,
            )
        failed += await self._handle_each_in_savepoint(events)
        for event, event_error in failed:
            with self._span(event):
                await self._handle_alone(
                    event,
                    failed_attempts=int(event_error is not None),
                    error=event_error,
                )

    async def _handle_each_in_savepoint(
        self, events: list["_Event"]
    ) -> list[tuple["_Event", Exception | None]]:
        """Return the events to retry alone, each with its error if it had one."""
        try:
            return list(await self._handle_together(events))
        except Exception as error:
            logger.warning(
                "consumer %s: batch of %d events not committed, handling them one "
                "by one: %r",
                self.name,
                len(events),
                error,
            )
            return [(event, None) for event in events]

    async def _parse(self, delivery: Delivery) -> "_Event | None":
        """Return the event to handle, or None when skipped or dead-lettered."""
        try:
            envelope = decode(delivery.value)
            if envelope.type not in self._handlers:
                return None
            payload = payload_of(envelope)
        except (EventDecodeError, UnknownEventType) as error:
            await self._dead_letter(delivery, str(error))
            return None
        return _Event(delivery, envelope, payload)

    async def _handle_at_once(self, events: list["_Event"]) -> None:
        """Handle events in one transaction; any failure rolls all of them back.

        Events already in the inbox, or repeated within the batch, are skipped
        after one query, the rows the handlers read are preloaded, and the
        inbox rows are written in one statement.
        """
        async with self._sessions() as session, session.begin():
            fresh = await self._unseen(session, events)
            if not fresh:
                return
            queue_inserts(session)
            await self._preload(session, fresh)
            for event in fresh:
                with self._span(event):
                    await self._run_handler(session, event)
            await session.exec(
                insert(ProcessedEvent),
                params=[
                    {
                        "consumer": self.name,
                        "event_id": e.envelope.id,
                        "event_type": e.envelope.type,
                        "handled_at": utcnow(),
                    }
                    for e in fresh
                ],
            )
        for event in fresh:
            self._log_handled(event)

    async def _preload(self, session: AsyncSession, events: list["_Event"]) -> None:
        payloads_by_type: defaultdict[str, list[EventPayload]] = defaultdict(list)
        for event in events:
            payloads_by_type[event.envelope.type].append(event.payload)
        for event_type, payloads in payloads_by_type.items():
            preloader = self._preloaders.get(event_type)
            if preloader is not None:
                await preloader(session, payloads)

    async def _run_handler(self, session: AsyncSession, event: "_Event") -> None:
        envelope = event.envelope
        try:
            await self._handlers[envelope.type](session, envelope, event.payload)
        except Exception as error:
            raise _HandlerFailed(event, error) from error

    async def _unseen(
        self, session: AsyncSession, events: list["_Event"]
    ) -> list["_Event"]:
        """Return the events of the batch not yet handled, each once."""
        ids = [event.envelope.id for event in events]
        dialect = session.get_bind().dialect.name
        query = select(ProcessedEvent.event_id).where(
            ProcessedEvent.consumer == self.name,
            one_of(col(ProcessedEvent.event_id), ids, dialect=dialect),
        )
        seen = set((await session.exec(query)).all())
        fresh = []
        for event in events:
            if event.envelope.id in seen:
                self._log_duplicate(event)
                continue
            seen.add(event.envelope.id)
            fresh.append(event)
        return fresh

    async def _handle_together(
        self, events: list["_Event"]
    ) -> list[tuple["_Event", Exception]]:
        """Handle events in one transaction; return those whose handler failed."""
        handled: list[_Event] = []
        failed: list[tuple[_Event, Exception]] = []
        async with self._sessions() as session, session.begin():
            for event in events:
                with self._span(event):
                    try:
                        async with session.begin_nested():
                            await self._handle_in(session, event)
                    except _Duplicate:
                        self._log_duplicate(event)
                    except Exception as error:
                        self._log_failure(event, 1, error)
                        failed.append((event, error))
                    else:
                        handled.append(event)
        for event in handled:
            self._log_handled(event)
        return failed

    def _span(self, event: "_Event") -> AbstractContextManager[trace.Span]:
        delivery = event.delivery
        return tracer.start_as_current_span(
            f"{delivery.topic} process",
            context=extract_context(delivery.headers),
            kind=trace.SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": delivery.topic,
                "messaging.consumer.group.name": self.name,
                "messaging.message.id": event.envelope.id,
                "messaging.kafka.offset": delivery.offset,
            },
        )

    async def _handle_alone(
        self, event: "_Event", *, failed_attempts: int, error: Exception | None
    ) -> None:
        """Handle an event in transactions of its own until it succeeds.

        Attempts already made count towards `max_attempts`; after the last
        one the event is dead-lettered.
        """
        for attempt in range(failed_attempts + 1, self._max_attempts + 1):
            if attempt > 1:
                await asyncio.sleep(0.1 * 2**attempt)
            try:
                async with self._sessions() as session, session.begin():
                    await self._handle_in(session, event)
            except _Duplicate:
                self._log_duplicate(event)
                return
            except Exception as attempt_error:
                self._log_failure(event, attempt, attempt_error)
                error = attempt_error
            else:
                self._log_handled(event)
                return
        reason = f"handler failed {self._max_attempts} times: {error!r}"
        await self._dead_letter(event.delivery, reason)

    async def _handle_in(self, session: AsyncSession, event: "_Event") -> None:
        """Record the event id and run its handler in the caller's transaction."""
        envelope = event.envelope
        session.add(
            ProcessedEvent(
                consumer=self.name, event_id=envelope.id, event_type=envelope.type
            )
        )
        try:
            await session.flush()
        except IntegrityError:
            raise _Duplicate from None
        await self._handlers[envelope.type](session, envelope, event.payload)

    def _log_handled(self, event: "_Event") -> None:
        # At DEBUG, because a busy consumer handles thousands of events a
        # second. Each batch is logged at INFO once committed.
        self.handled_total += 1
        delivery, envelope = event.delivery, event.envelope
        logger.debug(
            "consumer %s handled event %s type=%s topic=%s partition=%d "
            "offset=%d correlation=%s",
            self.name,
            envelope.id,
            envelope.type,
            delivery.topic,
            delivery.partition,
            delivery.offset,
            envelope.correlationid,
        )

    def _log_duplicate(self, event: "_Event") -> None:
        logger.debug(
            "consumer %s: event %s already handled", self.name, event.envelope.id
        )

    def _log_failure(self, event: "_Event", attempt: int, error: Exception) -> None:
        logger.warning(
            "consumer %s: handling event %s (%s) failed, attempt %d of %d: %r",
            self.name,
            event.envelope.id,
            event.envelope.type,
            attempt,
            self._max_attempts,
            error,
        )

    async def _dead_letter(self, delivery: Delivery, reason: str) -> None:
        origin = f"{delivery.topic}/{delivery.partition}/{delivery.offset}"
        logger.error(
            "consumer %s: dead-lettering message at %s: %s", self.name, origin, reason
        )
        record = Record(
            topic=TOPIC_DEAD_LETTER,
            key=delivery.key or origin,
            value=delivery.value or b"",
            headers=(
                *delivery.headers,
                ("dead-letter-reason", reason[:4000].encode()),
                ("dead-letter-origin", origin.encode()),
                ("dead-letter-consumer", self.name.encode()),
            ),
        )
        await retry_until_done(
            lambda: self._dead_letters.publish([record], timeout=self._publish_timeout),
            description=f"consumer {self.name}: dead-letter publish",
            retry_on=(PublishError,),
        )
        self.dead_lettered_total += 1
