import asyncio
import time

from palermo_shared.bus import Record
from palermo_shared.bus.memory import MemoryBus, MemorySubscription

TOPIC = "palermo.test"
OTHER_TOPIC = "palermo.test.other"


def records(count: int, *, topic: str = TOPIC) -> list[Record]:
    return [
        Record(topic=topic, key=f"key-{i}", value=f"value-{i}".encode())
        for i in range(count)
    ]


async def publish(bus: MemoryBus, batch: list[Record]) -> None:
    await bus.publisher().publish(batch, timeout=1.0)


async def started(bus: MemoryBus, group: str, *topics: str) -> MemorySubscription:
    subscription = bus.subscription(topics or (TOPIC,), group=group)
    await subscription.start()
    return subscription


async def test_fetch_keeps_publish_order() -> None:
    bus = MemoryBus()
    await publish(bus, records(5))
    subscription = await started(bus, "group")

    deliveries = await subscription.fetch(max_records=10, timeout=0.1)

    assert [d.value for d in deliveries] == [f"value-{i}".encode() for i in range(5)]
    assert [d.offset for d in deliveries] == [0, 1, 2, 3, 4]


async def test_fetch_keeps_key_and_headers() -> None:
    bus = MemoryBus()
    record = Record(topic=TOPIC, key="k", value=b"v", headers=(("h", b"1"),))
    await publish(bus, [record])
    subscription = await started(bus, "group")

    [delivery] = await subscription.fetch(max_records=10, timeout=0.1)

    assert delivery.key == "k"
    assert delivery.headers == (("h", b"1"),)
    assert delivery.partition == 0


async def test_fetch_respects_max_records() -> None:
    bus = MemoryBus()
    await publish(bus, records(5))
    subscription = await started(bus, "group")

    first = await subscription.fetch(max_records=2, timeout=0.1)
    second = await subscription.fetch(max_records=10, timeout=0.1)

    assert [d.offset for d in first] == [0, 1]
    assert [d.offset for d in second] == [2, 3, 4]


async def test_fetch_reads_every_topic() -> None:
    bus = MemoryBus()
    await publish(bus, records(2) + records(3, topic=OTHER_TOPIC))
    subscription = await started(bus, "group", TOPIC, OTHER_TOPIC)

    deliveries = await subscription.fetch(max_records=10, timeout=0.1)

    assert sorted(d.topic for d in deliveries) == [TOPIC] * 2 + [OTHER_TOPIC] * 3


async def test_commit_resumes_group() -> None:
    bus = MemoryBus()
    await publish(bus, records(5))
    first = await started(bus, "group")
    await first.fetch(max_records=3, timeout=0.1)
    await first.commit()
    await first.stop()

    second = await started(bus, "group")
    deliveries = await second.fetch(max_records=10, timeout=0.1)

    assert [d.offset for d in deliveries] == [3, 4]


async def test_uncommitted_records_redelivered() -> None:
    bus = MemoryBus()
    await publish(bus, records(4))
    first = await started(bus, "group")
    await first.fetch(max_records=2, timeout=0.1)
    await first.commit()
    await first.fetch(max_records=2, timeout=0.1)
    await first.stop()

    second = await started(bus, "group")
    deliveries = await second.fetch(max_records=10, timeout=0.1)

    assert [d.offset for d in deliveries] == [2, 3]


async def test_new_group_replays_from_start() -> None:
    bus = MemoryBus()
    await publish(bus, records(3))
    first = await started(bus, "group-a")
    await first.fetch(max_records=10, timeout=0.1)
    await first.commit()

    other = await started(bus, "group-b")
    deliveries = await other.fetch(max_records=10, timeout=0.1)

    assert [d.offset for d in deliveries] == [0, 1, 2]


async def test_commit_after_commit_is_snapshot() -> None:
    bus = MemoryBus()
    await publish(bus, records(3))
    subscription = await started(bus, "group")
    await subscription.fetch(max_records=1, timeout=0.1)
    await subscription.commit()

    await subscription.fetch(max_records=10, timeout=0.1)

    assert bus.committed("group", TOPIC) == 1


async def test_fetch_times_out_empty() -> None:
    bus = MemoryBus()
    subscription = await started(bus, "group")

    start = time.monotonic()
    deliveries = await subscription.fetch(max_records=10, timeout=0.2)
    elapsed = time.monotonic() - start

    assert deliveries == []
    assert 0.15 <= elapsed < 1.0


async def test_fetch_wakes_on_publish() -> None:
    bus = MemoryBus()
    subscription = await started(bus, "group")

    waiting = asyncio.create_task(subscription.fetch(max_records=10, timeout=5.0))
    await asyncio.sleep(0.05)
    start = time.monotonic()
    await publish(bus, records(1))
    deliveries = await waiting
    elapsed = time.monotonic() - start

    assert [d.value for d in deliveries] == [b"value-0"]
    assert elapsed < 1.0
