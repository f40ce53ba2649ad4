import asyncio
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from palermo_shared.bus import Bus, Record
from palermo_shared.bus.kafka import KafkaBus
from palermo_shared.bus.memory import MemoryBus, MemoryPublisher
from palermo_shared.contracts import QuestionnairePublished
from palermo_shared.events import decode, new_event, topic_of
from palermo_shared.outbox import record_event
from palermo_shared.reference.instruments import Cluster, Instrument
from palermo_shared.service import ConsumerSpec, ServiceRuntime, create_service_app
from palermo_shared.settings import ServiceSettings


async def ignore_event(*_args: object) -> None:
    return None


def runtime_on(bus: Bus, tmp_path: Path) -> ServiceRuntime:
    settings = ServiceSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'data' / 'service.db'}"
    )
    return ServiceRuntime(
        settings=settings,
        bus=bus,
        models=[],
        consumer_spec=ConsumerSpec(handlers={"palermo.test.ignored": ignore_event}),
        migrations=Path(__file__).with_name("migrations"),
    )


async def started_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    runtime: ServiceRuntime = app.state.runtime
    await runtime.start()
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://service.test"
        ) as client:
            yield client
    finally:
        await runtime.stop()


@pytest.fixture
async def memory_client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_service_app(runtime_on(MemoryBus(), tmp_path), [], title="test")
    async for client in started_client(app):
        yield client


@pytest.fixture
async def absent_broker_client(
    tmp_path: Path, unused_port: int
) -> AsyncIterator[httpx.AsyncClient]:
    bus = KafkaBus(f"127.0.0.1:{unused_port}", client_id="shared-tests")
    app = create_service_app(runtime_on(bus, tmp_path), [], title="test")
    async for client in started_client(app):
        yield client


async def test_live_while_broker_absent(
    absent_broker_client: httpx.AsyncClient,
) -> None:
    response = await absent_broker_client.get("/healthz/live")

    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


async def test_not_ready_while_broker_absent(
    absent_broker_client: httpx.AsyncClient,
) -> None:
    response = await absent_broker_client.get("/healthz/ready")

    assert response.status_code == 503
    assert response.json() == {"status": "not ready"}


async def test_ready_once_consumers_joined(
    memory_client: httpx.AsyncClient,
    eventually: Callable[..., Awaitable[None]],
) -> None:
    async def is_ready() -> bool:
        response = await memory_client.get("/healthz/ready")
        return response.status_code == 200

    await eventually(is_ready)
    response = await memory_client.get("/healthz/ready")

    assert response.json() == {"status": "ready"}


@pytest.mark.sqlite_only
async def test_start_creates_sqlite_directory(tmp_path: Path) -> None:
    runtime = runtime_on(MemoryBus(), tmp_path)

    await runtime.start()
    await runtime.stop()

    assert (tmp_path / "data" / "service.db").exists()


async def test_start_freezes_startup_objects(tmp_path: Path) -> None:
    gc.unfreeze()
    runtime = runtime_on(MemoryBus(), tmp_path)

    await runtime.start()
    await runtime.stop()

    assert gc.get_freeze_count() > 0


class SlowPublisher(MemoryPublisher):
    """A publisher to a MemoryBus that waits a delay and sets `started` first."""

    def __init__(self, bus: MemoryBus, delay: float, started: asyncio.Event) -> None:
        super().__init__(bus)
        self._delay = delay
        self._started = started

    async def publish(self, records: Sequence[Record], *, timeout: float) -> None:
        self._started.set()
        await asyncio.sleep(self._delay)
        await super().publish(records, timeout=timeout)


class SlowBus(MemoryBus):
    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.publishing = asyncio.Event()

    def publisher(self) -> MemoryPublisher:
        return SlowPublisher(self, self.delay, self.publishing)


async def test_stop_publishes_the_batch_in_hand(tmp_path: Path) -> None:
    """Stopping lets the relay finish its batch instead of cancelling it.

    A cancelled batch would stay claimed, so the final flush would skip it.
    On SQLite, a statement cut short could also keep the write lock.
    """
    bus = SlowBus(delay=0.5)
    runtime = runtime_on(bus, tmp_path)
    await runtime.start()
    payload = QuestionnairePublished(
        questionnaire_id="q-1",
        phase_id="phase-1",
        instrument=Instrument.CONVENTION,
        cluster=Cluster.CRIMINALIZATION,
        version=1,
        articles=[2],
    )
    event = new_event(payload, source="test", subject="q-1")
    async with runtime.transaction() as session:
        record_event(session, event)

    await asyncio.wait_for(bus.publishing.wait(), timeout=10)
    await runtime.stop()

    published = [decode(delivery.value).id for delivery in bus.log(topic_of(event))]
    assert published == [event.id]
