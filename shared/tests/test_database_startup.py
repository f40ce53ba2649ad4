"""A service process whose PostgreSQL server cannot be reached at start.

The service retries for DATABASE_STARTUP_TIMEOUT_SECONDS while the server
cannot be reached, and fails at once when the server rejects it. These
tests need a real PostgreSQL server even without `--database=postgresql`.
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from palermo_shared.auth import LocalIssuer, Role
from tests.support.network import free_port
from tests.support.postgres import PostgresServer
from tests.support.proxy import UnixSocketProxy

# Every service starts through palermo_shared.serve, so one service and the
# gateway, whose settings differ most, stand for all.
SERVICES = ("draw", "gateway")
PASSWORD = "pa55-word-never-logged"
STARTUP_SECONDS = 60
# A phase id that no test creates. Looking it up reads the database.
UNKNOWN_PHASE = "00000000-0000-0000-0000-000000000000"


@pytest.fixture(scope="module")
def postgres(postgres_server: PostgresServer | None) -> Iterator[PostgresServer]:
    """The run's PostgreSQL server, or one of this module's own on SQLite runs."""
    if postgres_server is not None:
        yield postgres_server
        return
    server = PostgresServer()
    yield server
    server.stop()


@pytest.mark.parametrize("service", SERVICES)
def test_closed_port_exits_after_timeout(service: str, tmp_path: Path) -> None:
    port = free_port()
    url = f"postgresql+asyncpg://palermo:{PASSWORD}@127.0.0.1:{port}/{service}"

    started = time.monotonic()
    finished = _run_service(service, tmp_path, url, timeout_seconds="1.5")
    elapsed = time.monotonic() - started

    lines = finished.stderr.strip().splitlines()
    assert finished.returncode == 1
    assert "Traceback" not in finished.stderr
    assert lines[-1].startswith(
        f"{service} service: cannot connect to database '{service}' "
        f"on 127.0.0.1:{port} within 1.5 s ("
    )
    assert "check that the PostgreSQL server is running" in lines[-1]
    retries = [line for line in lines if "WARNING" in line and "retrying" in line]
    assert len(retries) >= 2
    assert all(f"127.0.0.1:{port}" in line for line in retries)
    assert PASSWORD not in finished.stderr
    assert PASSWORD not in finished.stdout
    assert elapsed < STARTUP_SECONDS


def test_service_starts_once_server_reachable(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    database = postgres.database_for(str(tmp_path / "draw.db"))
    port = free_port()
    http_port = free_port()
    log = tmp_path / "service.log"
    service = _start_service(
        "draw",
        tmp_path,
        f"postgresql+asyncpg://postgres:{PASSWORD}@127.0.0.1:{port}/{database}",
        http_port=http_port,
        log=log,
    )
    proxy = None
    try:
        _wait_for_text(log, f"cannot connect to database '{database}'", service)
        proxy = UnixSocketProxy(port, postgres.socket_file)

        ready = _wait_until_ready(f"http://127.0.0.1:{http_port}", service)
        service.send_signal(signal.SIGTERM)
        returncode = service.wait(timeout=30)
    finally:
        service.kill()
        service.wait()
        if proxy is not None:
            proxy.stop()

    output = log.read_text()
    assert ready.json() == {"status": "ready"}
    assert returncode == 0
    assert f"127.0.0.1:{port} (attempt 1:" in output
    assert "service draw started" in output
    assert "service draw stopped" in output
    assert "Traceback" not in output
    assert PASSWORD not in output


def test_lost_server_gets_503(postgres: PostgresServer, tmp_path: Path) -> None:
    database = postgres.database_for(str(tmp_path / "draw.db"))
    port = free_port()
    http_port = free_port()
    url = f"http://127.0.0.1:{http_port}"
    log = tmp_path / "service.log"
    proxy = UnixSocketProxy(port, postgres.socket_file)
    service = _start_service(
        "draw",
        tmp_path,
        f"postgresql+asyncpg://postgres:{PASSWORD}@127.0.0.1:{port}/{database}",
        http_port=http_port,
        log=log,
    )
    try:
        _wait_until_ready(url, service)
        secretariat = LocalIssuer.from_key_file(tmp_path / "signing-key.pem").headers(
            Role.SECRETARIAT
        )
        proxy.stop()
        lost = httpx.get(f"{url}/phases/{UNKNOWN_PHASE}", headers=secretariat)
        probe = httpx.get(f"{url}/healthz/ready")

        proxy = UnixSocketProxy(port, postgres.socket_file)
        _wait_until_ready(url, service)
        back = httpx.get(f"{url}/phases/{UNKNOWN_PHASE}", headers=secretariat)
        service.send_signal(signal.SIGTERM)
        service.wait(timeout=30)
    finally:
        service.kill()
        service.wait()
        proxy.stop()

    output = log.read_text()
    assert lost.status_code == 503
    assert lost.json()["code"] == "unavailable"
    assert lost.headers["Retry-After"] == "5"
    assert probe.status_code == 503
    assert back.status_code == 404
    assert f"cannot connect to database '{database}' on 127.0.0.1:{port}" in output
    assert "Traceback" not in output
    assert PASSWORD not in output


def test_read_only_database_gets_503(postgres: PostgresServer, tmp_path: Path) -> None:
    database = postgres.database_for(str(tmp_path / "draw.db"))
    http_port = free_port()
    url = f"http://127.0.0.1:{http_port}"
    log = tmp_path / "service.log"
    service = _start_service(
        "draw",
        tmp_path,
        f"postgresql+asyncpg://postgres@/{database}"
        f"?host={postgres.socket_dir}&port={postgres.port}",
        http_port=http_port,
        log=log,
    )
    try:
        _wait_until_ready(url, service)
        secretariat = LocalIssuer.from_key_file(tmp_path / "signing-key.pem").headers(
            Role.SECRETARIAT
        )
        asyncio.run(_make_read_only(postgres, database))
        refused = httpx.post(
            f"{url}/phases", json={"years": "III-VI"}, headers=secretariat
        )
        service.send_signal(signal.SIGTERM)
        returncode = service.wait(timeout=30)
    finally:
        service.kill()
        service.wait()

    output = log.read_text()
    assert returncode == 0
    assert refused.status_code == 503
    assert refused.json()["code"] == "unavailable"
    assert refused.headers["Retry-After"] == "5"
    assert "read-only transaction" in output
    assert "Traceback" not in output


async def _make_read_only(postgres: PostgresServer, database: str) -> None:
    """Make new transactions in `database` read-only, as on a standby server,
    and end the connections open to it."""
    connection = await asyncpg.connect(
        host=postgres.socket_dir,
        port=postgres.port,
        user="postgres",
        database="postgres",
    )
    try:
        await connection.execute(
            f'ALTER DATABASE "{database}" SET default_transaction_read_only = on'
        )
        await connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
            database,
        )
    finally:
        await connection.close()


def test_missing_database_fails_at_once(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    url = (
        f"postgresql+asyncpg://postgres:{PASSWORD}@/no_such_database"
        f"?host={postgres.socket_dir}&port={postgres.port}"
    )

    started = time.monotonic()
    finished = _run_service("draw", tmp_path, url, timeout_seconds="60")
    elapsed = time.monotonic() - started

    assert finished.returncode == 1
    assert finished.stderr.strip().splitlines()[-1] == (
        "draw service: cannot connect to database 'no_such_database' on "
        f"{postgres.socket_dir}:{postgres.port}: the server rejected the "
        'connection (database "no_such_database" does not exist); create the '
        "database or correct its name in DATABASE_URL"
    )
    assert "retrying" not in finished.stderr
    assert "Traceback" not in finished.stderr
    assert PASSWORD not in finished.stderr
    assert elapsed < 30


def test_unknown_user_fails_at_once(postgres: PostgresServer, tmp_path: Path) -> None:
    database = postgres.database_for(str(tmp_path / "draw.db"))
    url = (
        f"postgresql+asyncpg://nobody:{PASSWORD}@/{database}"
        f"?host={postgres.socket_dir}&port={postgres.port}"
    )

    started = time.monotonic()
    finished = _run_service("draw", tmp_path, url, timeout_seconds="60")
    elapsed = time.monotonic() - started

    last_line = finished.stderr.strip().splitlines()[-1]
    assert finished.returncode == 1
    assert last_line.startswith(
        f"draw service: cannot connect to database '{database}' on "
        f"{postgres.socket_dir}:{postgres.port}: the server rejected the connection"
    )
    assert 'role "nobody" does not exist' in last_line
    assert last_line.endswith("check the user name and password in DATABASE_URL")
    assert "retrying" not in finished.stderr
    assert "Traceback" not in finished.stderr
    assert PASSWORD not in finished.stderr
    assert elapsed < 30


def _environment(
    data_dir: Path, database_url: str, *, http_port: int, timeout_seconds: str
) -> dict[str, str]:
    return {
        **os.environ,
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(http_port),
        "DATA_DIR": str(data_dir),
        "BUS_TRANSPORT": "memory",
        "DATABASE_URL": database_url,
        "DATABASE_STARTUP_TIMEOUT_SECONDS": timeout_seconds,
    }


def _run_service(
    service: str, data_dir: Path, database_url: str, *, timeout_seconds: str
) -> subprocess.CompletedProcess[str]:
    environment = _environment(
        data_dir,
        database_url,
        http_port=free_port(),
        timeout_seconds=timeout_seconds,
    )
    return subprocess.run(
        [sys.executable, "-m", f"palermo_{service}"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=STARTUP_SECONDS + 30,
    )


def _start_service(
    service: str, data_dir: Path, database_url: str, *, http_port: int, log: Path
) -> subprocess.Popen[bytes]:
    environment = _environment(
        data_dir, database_url, http_port=http_port, timeout_seconds="60"
    )
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", f"palermo_{service}"],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def _wait_for_text(log: Path, text: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while text not in log.read_text():
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"{text!r} not logged:\n{log.read_text()}"
        time.sleep(0.1)


def _wait_until_ready(url: str, process: subprocess.Popen[bytes]) -> httpx.Response:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        assert process.poll() is None, "the service exited before it was ready"
        assert time.monotonic() < deadline, f"{url}/healthz/ready not ready"
        try:
            response = httpx.get(f"{url}/healthz/ready")
            if response.status_code == 200:
                return response
        except httpx.TransportError:
            pass
        time.sleep(0.2)
