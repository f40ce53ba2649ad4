"""The event stream for dashboards: every domain event, fanned out to clients.

The gateway reads all domain topics as a consumer group of its own, keeps
the most recent events in a bounded history (so a client can resume with
`Last-Event-ID`), and copies each event into every connected client's
bounded queue. A client whose queue is full is disconnected rather than
allowed to slow the others or grow memory; it can reconnect and resume.
"""

import asyncio
import logging
import uuid
from collections import Counter, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass

from palermo_shared.bus import Bus
from palermo_shared.events import DOMAIN_TOPICS, EventDecodeError, decode
from palermo_shared.retry import retry_until_done

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreamedEvent:
    sequence: int
    type: str
    data: str


class _Client:
    def __init__(self, size: int) -> None:
        # One extra slot for the None that tells a dropped client to stop.
        self.queue: asyncio.Queue[StreamedEvent | None] = asyncio.Queue(size + 1)
        self.size = size

    def full(self) -> bool:
        return self.queue.qsize() >= self.size

    def drop(self) -> None:
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)


class EventStream:
    def __init__(self, bus: Bus, *, history_size: int, client_queue_size: int) -> None:
        self._bus = bus
        self._history: deque[StreamedEvent] = deque(maxlen=history_size)
        self._client_queue_size = client_queue_size
        self._clients: set[_Client] = set()
        self._sequence = 0
        self.counts: Counter[str] = Counter()
        self.ready = asyncio.Event()

    async def run(self) -> None:
        group = f"gateway-stream-{uuid.uuid4()}"
        subscription = self._bus.subscription(DOMAIN_TOPICS, group=group)
        await retry_until_done(
            self._bus.prepare, description="event stream: preparing the bus"
        )
        await retry_until_done(
            subscription.start, description="event stream: joining the broker"
        )
        self.ready.set()
        logger.info("event stream reading %s as %s", ", ".join(DOMAIN_TOPICS), group)
        try:
            while True:
                for delivery in await subscription.fetch(max_records=1000, timeout=1.0):
                    self._publish(delivery.value)
        finally:
            await subscription.stop()

    def _publish(self, raw: bytes | None) -> None:
        try:
            envelope = decode(raw)
        except EventDecodeError as error:
            # Malformed messages are dead-lettered by the service consumers.
            logger.warning("event stream skipped a malformed message: %s", error)
            return
        self._sequence += 1
        event = StreamedEvent(self._sequence, envelope.type, envelope.model_dump_json())
        self._history.append(event)
        self.counts[envelope.type] += 1
        for client in list(self._clients):
            self._offer(client, event)

    def _offer(self, client: _Client, event: StreamedEvent) -> None:
        if not client.full():
            client.queue.put_nowait(event)
            return
        client.drop()
        self._clients.discard(client)
        logger.warning(
            "event stream disconnected a slow client after %d queued events; "
            "it can reconnect with Last-Event-ID",
            client.size,
        )

    async def follow(self, last_event_id: int | None) -> AsyncIterator[StreamedEvent]:
        """Yield the kept events after `last_event_id`, then live ones.

        Without `last_event_id` every event still in the history is yielded.
        The stream ends when the client is dropped for being too slow.
        """
        after = last_event_id or 0
        backlog = [e for e in self._history if e.sequence > after]
        client = _Client(self._client_queue_size)
        self._clients.add(client)
        try:
            for event in backlog:
                yield event
            while (live := await client.queue.get()) is not None:
                yield live
        finally:
            self._clients.discard(client)
