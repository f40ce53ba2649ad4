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
        finished = subprocess.run(
            [sys.executable, "-m", "palermo_draw"],
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert finished.returncode == STARTUP_FAILURE
    assert "address already in use" in finished.stderr
    assert str(port) in finished.stderr
