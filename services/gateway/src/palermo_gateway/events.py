"""The event stream for dashboards: every domain event, fanned out to clients.

The gateway reads all domain topics as a consumer group of its own and
numbers the events in the order it reads them. It keeps the most recent
ones in a bounded history, and each client only holds a cursor into that
history, so memory does not grow with the number or the slowness of
clients, and publishing never waits for any of them. A client that falls
so far behind that its next events have left the history (or resumes from
an id that old) gets a `stream.gap` event naming the missing range, then
continues from the oldest event kept; a dashboard reloads its state from
the API when it sees one. Numbers start again at 1 when the gateway
restarts, so a client resuming from an id the stream has not reached yet
gets a `stream.reset` event, then every event kept.

Each follower sees only the events its caller may see (`visibility`). The
ids stay the stream's own sequence numbers, so a client resumes with
Last-Event-ID across the events hidden from it.
"""

import asyncio
import json
import logging
from collections import Counter, deque
from collections.abc import AsyncGenerator
from dataclasses import dataclass, replace
from functools import partial

from palermo_gateway.reading import read_domain_topics
from palermo_gateway.visibility import SHOWN_TO_EVERYONE, Audience, audience_of
from palermo_shared.auth import Principal
from palermo_shared.bus import Bus
from palermo_shared.events import Envelope

logger = logging.getLogger(__name__)


GAP_EVENT_TYPE = "stream.gap"
RESET_EVENT_TYPE = "stream.reset"


@dataclass(frozen=True)
class StreamedEvent:
    sequence: int
    type: str
    data: str
    audience: Audience = SHOWN_TO_EVERYONE


class EventStream:
    def __init__(self, bus: Bus, *, history_size: int) -> None:
        self._bus = bus
        self._history: deque[StreamedEvent] = deque(maxlen=history_size)
        self._appended = asyncio.Condition()
        self._sequence = 0
        self._closed = False
        self.counts: Counter[str] = Counter()
        self.ready = asyncio.Event()

    async def run(self) -> None:
        await read_domain_topics(
            self._bus, "event stream", self.ready, self._append, self._wake_followers
        )

    async def _wake_followers(self) -> None:
        async with self._appended:
            self._appended.notify_all()

    async def close(self) -> None:
        """End every follower once it has yielded the events it was given.

        A server that stops waits for its open responses to end, and nothing
        else ends an event stream whose client stays connected.
        """
        self._closed = True
        await self._wake_followers()

    def _append(self, envelope: Envelope) -> None:
        self._sequence += 1
        data = envelope.model_dump_json()
        audience = audience_of(json.loads(data))
        event = StreamedEvent(self._sequence, envelope.type, data, audience)
        self._history.append(event)
        self.counts[envelope.type] += 1

    @property
    def newest_sequence(self) -> int:
        """Return the sequence number of the newest event, 0 before the first."""
        return self._sequence

    async def follow(
        self, last_event_id: int | None, principal: Principal | None = None
    ) -> AsyncGenerator[StreamedEvent, None]:
        """Yield the events after `last_event_id`, then live ones as they arrive.

        Without `last_event_id`, start from the oldest event kept. With a
        `principal`, yield only the events it may see, as it may see them.
        """
        cursor = last_event_id if last_event_id is not None else self._oldest() - 1
        if cursor > self._sequence:
            yield self._reset(cursor)
            cursor = self._oldest() - 1
        while not self._closed:
            if cursor < self._oldest() - 1:
                yield self._gap(cursor)
                cursor = self._oldest() - 1
            event = self._next_after(cursor)
            if event is None:
                async with self._appended:
                    await self._appended.wait_for(partial(self._has_after, cursor))
                continue
            cursor = event.sequence
            data = event.audience.data_for(principal, event.data)
            if data is not None:
                yield event if data is event.data else replace(event, data=data)
            # A write to a connection the client has closed neither waits nor
            # raises, so the server learns of the close only on a turn of the
            # loop. Without one, it would write every event kept to the closed
            # connection and serve no other request meanwhile.
            await asyncio.sleep(0)

    def _gap(self, cursor: int) -> StreamedEvent:
        first, last = cursor + 1, self._oldest() - 1
        logger.warning(
            "event stream client missed events %d to %d, which are no longer kept",
            first,
            last,
        )
        data = json.dumps({"first_missing": first, "last_missing": last})
        return StreamedEvent(last, GAP_EVENT_TYPE, data)

    def _reset(self, cursor: int) -> StreamedEvent:
        logger.warning(
            "event stream client resumed after event %d, but the newest is %d: "
            "the gateway restarted since; sending every event kept",
            cursor,
            self._sequence,
        )
        data = json.dumps({"last_event_id": cursor, "newest_event_id": self._sequence})
        return StreamedEvent(self._oldest() - 1, RESET_EVENT_TYPE, data)

    def _has_after(self, cursor: int) -> bool:
        """Return whether a follower at `cursor` has more to do."""
        return self._closed or self._sequence > cursor

    def _oldest(self) -> int:
        return self._history[0].sequence if self._history else self._sequence + 1

    def _next_after(self, cursor: int) -> StreamedEvent | None:
        """Return the event after `cursor`, or None when there is none yet.

        A follower takes one event at a time rather than a copy of the rest
        of the history, so a slow client keeps no list of events of its own.
        """
        index = max(0, cursor + 1 - self._oldest())
        return self._history[index] if index < len(self._history) else None
