"""Service processes as `python -m palermo_<service>` starts them."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from uvicorn.config import STARTUP_FAILURE

from palermo_shared.auth import LocalIssuer, Role


def test_busy_port_exits_with_startup_failure(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        environment = {
            **os.environ,
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(port),
            "DATA_DIR": str(tmp_path),
            "BUS_TRANSPORT": "memory",
        }
        finished = _run_draw_service(environment)

    assert finished.returncode == STARTUP_FAILURE
    assert "address already in use" in finished.stderr
    assert str(port) in finished.stderr


def test_invalid_settings_exit_with_report(tmp_path: Path) -> None:
    environment = {
        **os.environ,
        "HTTP_PORT": "eighty",
        "DATABASE_URL": "postgresql://palermo:secret@db/draw",
        "DATA_DIR": str(tmp_path),
    }
    finished = _run_draw_service(environment)

    assert finished.returncode == 1
    assert finished.stderr.startswith("invalid settings of the draw service:\n")
    assert "  HTTP_PORT='eighty': Input should be a valid integer" in finished.stderr
    assert (
        "  DATABASE_URL: invalid DATABASE_URL: scheme 'postgresql';" in finished.stderr
    )
    assert "secret" not in finished.stderr
    assert "Traceback" not in finished.stderr


def test_unknown_host_exits_with_report(tmp_path: Path) -> None:
    # A name with a space is no valid host name. Without the check uvicorn
    # ends the start with status 3 after the database upgrade, and its
    # message does not name the host.
    environment = {
        **os.environ,
        "HTTP_HOST": "no such host",
        "HTTP_PORT": str(_free_port()),
        "DATA_DIR": str(tmp_path),
        "BUS_TRANSPORT": "memory",
    }
    finished = _run_draw_service(environment)

    heading, problem = finished.stderr.splitlines()
    assert finished.returncode == 1
    assert heading == "invalid settings of the draw service:"
    assert problem.startswith("  HTTP_HOST='no such host': no address found for it")
    assert problem.endswith("such as 127.0.0.1, or 0.0.0.0 for every interface")
    assert not (tmp_path / "draw.db").exists()


@pytest.mark.parametrize(
    ("servers", "reason"),
    [
        ("127.0.0.1", "broker address '127.0.0.1' has no port"),
        ("127.0.0.1:abc", "broker address '127.0.0.1:abc' has no port number"),
        ("127.0.0.1:0", "broker address '127.0.0.1:0' has no port number"),
        (":9092", "broker address ':9092' has no host"),
    ],
    ids=["no-port", "port-not-a-number", "port-zero", "no-host"],
)
def test_invalid_broker_address_exits(
    tmp_path: Path, servers: str, reason: str
) -> None:
    # Without the check the service starts and retries the broker forever.
    environment = {
        **os.environ,
        "HTTP_PORT": str(_free_port()),
        "DATA_DIR": str(tmp_path),
        "BUS_TRANSPORT": "kafka",
        "KAFKA_BOOTSTRAP_SERVERS": servers,
    }
    finished = _run_draw_service(environment, timeout=20)

    heading, problem = finished.stderr.splitlines()
    assert finished.returncode == 1
    assert heading == "invalid settings of the draw service:"
    assert problem.startswith(f"  KAFKA_BOOTSTRAP_SERVERS={servers!r}: {reason}")
    assert problem.endswith("; expected host:port, several separated by commas")


@pytest.mark.parametrize(
    ("variable", "reported"),
    [
        ("DATABASE_URL", "  DATABASE_URL: "),
        ("AUTH_SIGNING_KEY_FILE", "  AUTH_SIGNING_KEY_FILE='{path}': "),
    ],
    ids=["database", "signing-key"],
)
def test_unwritable_folder_exits_with_report(
    tmp_path: Path, variable: str, reported: str
) -> None:
    # A file where the folder should be: as root, permissions alone do not
    # make a folder unwritable.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    path = blocker / "draw.db" if variable == "DATABASE_URL" else blocker / "key.pem"
    value = f"sqlite+aiosqlite:///{path}" if variable == "DATABASE_URL" else str(path)
    environment = {
        **os.environ,
        "HTTP_PORT": str(_free_port()),
        "DATA_DIR": str(tmp_path / "data"),
        "BUS_TRANSPORT": "memory",
        variable: value,
    }

    finished = _run_draw_service(environment)

    assert finished.returncode == 1
    assert finished.stderr.startswith("invalid settings of the draw service:\n")
    assert reported.format(path=path) in finished.stderr
    assert f"{blocker} is a file, not a folder" in finished.stderr
    assert "Traceback" not in finished.stderr


def _local_environment(data_dir: Path, port: int) -> dict[str, str]:
    """Return the environment of a service on 127.0.0.1:`port`, in-memory bus."""
    return {
        **os.environ,
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(port),
        "DATA_DIR": str(data_dir),
        "BUS_TRANSPORT": "memory",
    }


def test_service_answers_head(tmp_path: Path) -> None:
    port = _free_port()
    environment = _local_environment(tmp_path, port)
    service = subprocess.Popen(
        [sys.executable, "-m", "palermo_draw"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_live(url)
        tokens = LocalIssuer.from_key_file(tmp_path / "signing-key.pem")

        probe = httpx.head(f"{url}/healthz/live")
        state = httpx.head(
            f"{url}/states/ITA", headers=tokens.headers(Role.SECRETARIAT)
        )
    finally:
        service.terminate()
        service.wait(timeout=30)

    assert probe.status_code == 200
    assert state.status_code == 200
    assert state.content == b""
    assert int(state.headers["content-length"]) > 0


def test_service_stops_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    environment = _local_environment(tmp_path, port)
    service = subprocess.Popen(
        [sys.executable, "-m", "palermo_review"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_until_live(f"http://127.0.0.1:{port}")
        service.send_signal(signal.SIGTERM)
        _, stderr = service.communicate(timeout=30)
    finally:
        service.kill()
        service.wait()

    assert service.returncode == 0
    assert (
        f"service review started: in-memory bus, SQLite file {tmp_path / 'review.db'}"
        in stderr
    )
    assert "consumer review stopped" in stderr
    assert "service review stopped" in stderr
    assert "Finished server process" in stderr
    assert "Traceback" not in stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_live(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz/live").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url}/healthz/live not live within 60 s")


def _run_draw_service(
    environment: dict[str, str], *, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "palermo_draw"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
