"""`palermo serve` stopped by a signal, as from a terminal or a script."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from palermo_shared.auth import Role
from tests.support.network import free_port
from tests.support.tokens import local_token

PALERMO = Path(sys.executable).parent / "palermo"
STOP_TIMEOUT_SECONDS = 30


def start_serve(data_dir: Path, *, shell_prefix: str = "") -> subprocess.Popen[str]:
    """Start `palermo serve` and wait until its gateway is live.

    `shell_prefix` runs first in a shell that then becomes the command.
    """
    port = free_port()
    command = [str(PALERMO), "serve", "--data-dir", str(data_dir), "--port", str(port)]
    if shell_prefix:
        command = ["sh", "-c", f'{shell_prefix}; exec "$@"', "sh", *command]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )

    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the gateway did not start"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz/live").status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.1)


def stop(process: subprocess.Popen[str], signal_number: int) -> str:
    """Send the signal, wait for the process to exit and return its stderr."""
    process.send_signal(signal_number)
    try:
        _, stderr = process.communicate(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        _, stderr = process.communicate()
        raise AssertionError(f"still running after signal:\n{stderr}") from None
    return stderr


def test_serve_stops_on_sigint(tmp_path: Path) -> None:
    process = start_serve(tmp_path)

    stderr = stop(process, signal.SIGINT)

    assert process.returncode == 0
    assert "Traceback" not in stderr
    assert "KeyboardInterrupt" not in stderr
    assert "Finished server process" in stderr
    assert "service draw stopped" in stderr


def test_serve_stops_on_ignored_sigint(tmp_path: Path) -> None:
    # A shell starts the background jobs of a script with SIGINT ignored.
    # uvicorn handles SIGINT all the same, so it must stop the command too.
    process = start_serve(tmp_path, shell_prefix="trap '' INT")

    stderr = stop(process, signal.SIGINT)

    assert process.returncode == 0
    assert "Traceback" not in stderr
    assert "Finished server process" in stderr
    assert "service draw stopped" in stderr


def test_serve_stops_services_on_sigterm(tmp_path: Path) -> None:
    # Service managers and container runtimes stop a process with SIGTERM,
    # also while a dashboard keeps reading the event stream.
    process = start_serve(tmp_path)
    headers = local_token(tmp_path, "dashboard@example.org", Role.SECRETARIAT)

    with httpx.stream(
        "GET", f"{gateway_url(process)}/api/v1/events", headers=headers, timeout=None
    ) as stream:
        assert stream.status_code == 200
        stderr = stop(process, signal.SIGTERM)

    assert process.returncode == 0
    assert "Traceback" not in stderr
    assert "Finished server process" in stderr
    assert "service draw stopped" in stderr
    assert "service notify stopped" in stderr


def gateway_url(process: subprocess.Popen[str]) -> str:
    port = process.args[-1]
    return f"http://127.0.0.1:{port}"
