"""The event bus: one interface, two transports.

`MemoryBus` keeps topics as in-process logs for the embedded default;
`KafkaBus` talks to a Kafka-protocol broker through aiokafka. Services see
only `Bus`, `Publisher` and `Subscription`, so the same code runs on both.

Errors raised by transports:

    BusError
    +-- PublishError     a batch was not acknowledged before its deadline
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


class BusError(Exception):
    """Base of the errors a bus transport raises."""


class PublishError(BusError):
    """Raised when a batch is not acknowledged by the broker in time."""


@dataclass(frozen=True)
class Record:
    """A message to publish: the key keeps one subject's events in order."""

    topic: str
    key: str
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True)
class Delivery:
    """A message read from the bus, with the position it was read at."""

    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = field(default=())


class Publisher(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, records: Sequence[Record], *, timeout: float) -> None:
        """Publish a batch and wait for every acknowledgement.

        Raises `PublishError` when the batch is not acknowledged within
        `timeout` seconds; some of its records may have been written.
        """
        ...


class Subscription(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def fetch(self, *, max_records: int, timeout: float) -> list[Delivery]:
        """Return the next records, or an empty list after `timeout` seconds."""
        ...

    async def commit(self) -> None:
        """Commit the position after the records fetched so far."""
        ...


class Bus(Protocol):
    async def prepare(self) -> None:
        """Make the bus ready for use, creating missing topics."""
        ...

    def publisher(self) -> Publisher: ...

    def subscription(self, topics: Sequence[str], group: str) -> Subscription: ...
