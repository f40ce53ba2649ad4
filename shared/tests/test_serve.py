"""Service processes as `python -m palermo_<service>` starts them."""

import os
import socket
import subprocess
import sys
from pathlib import Path

from uvicorn.config import STARTUP_FAILURE


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


def _run_draw_service(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "palermo_draw"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
