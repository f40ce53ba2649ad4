"""Test-run options shared by every test folder.

`--database=postgresql` runs the database tests on PostgreSQL instead of
SQLite: the run starts a throwaway PostgreSQL server (Debian's binaries),
and every SQLite file a test would open becomes a fresh PostgreSQL database,
so each service of each test still has a database of its own.
"""

from collections.abc import Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

import palermo_shared.db
from tests.support.postgres import PostgresNotInstalled, PostgresServer

SQLITE_PREFIX = "sqlite+aiosqlite:///"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="database engine of the services under test (default: sqlite)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: the test checks SQLite-specific behaviour"
    )


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    if config.getoption("--database") != "postgresql":
        return
    skip = pytest.mark.skip(reason="checks SQLite-specific behaviour")
    for item in items:
        if "sqlite_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def postgres_server(request: pytest.FixtureRequest) -> Iterator[PostgresServer | None]:
    if request.config.getoption("--database") != "postgresql":
        yield None
        return
    try:
        server = PostgresServer()
    except PostgresNotInstalled as error:
        pytest.exit(str(error))
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _database_backend(
    postgres_server: PostgresServer | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Map every SQLite file a test opens to a PostgreSQL database of its own."""
    if postgres_server is None:
        return

    def postgres_engine(database_url: str) -> AsyncEngine:
        path = database_url.removeprefix(SQLITE_PREFIX)
        database = postgres_server.database_for(path)
        return palermo_shared.db.create_engine(postgres_server.url(database))

    monkeypatch.setattr(palermo_shared.db, "_create_sqlite_engine", postgres_engine)
    # The audit verification looks for the SQLite file before it connects.
    # Here the PostgreSQL database mapped to that file replaces it.
    monkeypatch.setattr("palermo_gateway.audit.chain.sqlite_file", lambda _url: None)
