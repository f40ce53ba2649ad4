"""Test-run options shared by every test folder.

`--database=postgresql` runs the database tests on PostgreSQL instead of
SQLite: the run starts a throwaway PostgreSQL server (Debian's binaries),
and every SQLite file a test would open becomes a fresh PostgreSQL database,
so each service of each test still has a database of its own.
"""

import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

import palermo_shared.db

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


class PostgresServer:
    """A PostgreSQL server in a temporary folder, reached by a Unix socket."""

    def __init__(self) -> None:
        self._bin = _postgres_bin_dir()
        self._root = Path(tempfile.mkdtemp(prefix="palermo-pg-"))
        self._data = self._root / "data"
        self.socket_dir = str(self._root)
        self.port = _free_port()
        self._databases: set[str] = set()
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root.
            shutil.chown(self._root, "postgres", "postgres")
        self._run(
            "initdb",
            "-D",
            str(self._data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        )
        options = (
            f"-k {self.socket_dir} -p {self.port} -c listen_addresses='' "
            "-c fsync=off -c synchronous_commit=off -c max_connections=500"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self._data),
            "-l",
            str(self._root / "log"),
            "-o",
            options,
            "-w",
            "start",
        )

    def url(self, database: str) -> str:
        return (
            f"postgresql+asyncpg://postgres@/{database}"
            f"?host={self.socket_dir}&port={self.port}"
        )

    def database_for(self, key: str) -> str:
        """Create (once) and return the database standing in for `key`."""
        name = "t_" + hashlib.sha256(key.encode()).hexdigest()[:20]
        if name not in self._databases:
            self._run(
                "createdb",
                "-h",
                self.socket_dir,
                "-p",
                str(self.port),
                "-U",
                "postgres",
                name,
            )
            self._databases.add(name)
        return name

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self._data), "-m", "immediate", "stop")
        shutil.rmtree(self._root, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self._bin / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd=self._root)


def _postgres_bin_dir() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not versions:
        pytest.exit("PostgreSQL server binaries not found: install Debian's postgresql")
    return versions[-1].parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def postgres_server(request: pytest.FixtureRequest) -> Iterator[PostgresServer | None]:
    if request.config.getoption("--database") != "postgresql":
        yield None
        return
    server = PostgresServer()
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
