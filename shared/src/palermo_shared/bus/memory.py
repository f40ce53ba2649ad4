"""In-process transport for the embedded default.

Each topic is one append-only log (a single partition), and each consumer
group keeps a committed offset per topic, so a restarted subscription
resumes where its group committed and a new group replays from the start,
as on Kafka. Data lives only as long as the process.
"""

import asyncio
from collections import defaultdict
from collections.abc import Sequence

from palermo_shared.bus import Delivery, Record


class MemoryBus:
    def __init__(self) -> None:
        self._logs: dict[str, list[Delivery]] = defaultdict(list)
        self._committed: dict[tuple[str, str], int] = {}
        self._changed: asyncio.Condition | None = None

    @property
    def changed(self) -> asyncio.Condition:
        # Created on first use so that the condition belongs to the running loop.
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    async def prepare(self) -> None:
        return None

    def publisher(self) -> "MemoryPublisher":
        return MemoryPublisher(self)

    def subscription(self, topics: Sequence[str], group: str) -> "MemorySubscription":
        return MemorySubscription(self, tuple(topics), group)

    def log(self, topic: str) -> list[Delivery]:
        """Return the records of a topic, oldest first."""
        return self._logs[topic]

    async def append(self, records: Sequence[Record]) -> None:
        for record in records:
            log = self._logs[record.topic]
            log.append(
                Delivery(
                    topic=record.topic,
                    partition=0,
                    offset=len(log),
                    key=record.key,
                    value=record.value,
                    headers=record.headers,
                )
            )
        async with self.changed:
            self.changed.notify_all()

    def committed(self, group: str, topic: str) -> int:
        return self._committed.get((group, topic), 0)

    def commit(self, group: str, positions: dict[str, int]) -> None:
        for topic, offset in positions.items():
            self._committed[(group, topic)] = offset


class MemoryPublisher:
    def __init__(self, bus: MemoryBus) -> None:
        self._bus = bus

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, records: Sequence[Record], *, timeout: float) -> None:
        await self._bus.append(records)


class MemorySubscription:
    def __init__(self, bus: MemoryBus, topics: tuple[str, ...], group: str) -> None:
        self._bus = bus
        self._topics = topics
        self._group = group
        self._positions: dict[str, int] = {}

    async def start(self) -> None:
        self._positions = {t: self._bus.committed(self._group, t) for t in self._topics}

    async def stop(self) -> None:
        return None

    async def fetch(self, *, max_records: int, timeout: float) -> list[Delivery]:
        records = self._take(max_records)
        if records:
            return records
        try:
            async with self._bus.changed:
                async with asyncio.timeout(timeout):
                    await self._bus.changed.wait_for(self._has_new)
        except TimeoutError:
            return []
        return self._take(max_records)

    async def commit(self) -> None:
        self._bus.commit(self._group, self._positions)

    def _has_new(self) -> bool:
        return any(
            len(self._bus.log(t)) > position for t, position in self._positions.items()
        )

    def _take(self, max_records: int) -> list[Delivery]:
        taken: list[Delivery] = []
        for topic in self._topics:
            position = self._positions[topic]
            batch = self._bus.log(topic)[position : position + max_records - len(taken)]
            taken.extend(batch)
            self._positions[topic] = position + len(batch)
            if len(taken) >= max_records:
                break
        return taken
