"""Real processes for the end-to-end tests: the Tansu broker and the services.

Everything listens on 127.0.0.1 on free ports; nothing else is contacted.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from palermo_shared.auth import LocalIssuer
from tests.support.network import free_port, wait_for_port
from tests.support.tansu import TansuBroker

SERVICES = ("draw", "questionnaire", "review", "notify")


class ServiceProcess:
    """One Palermo service (or the gateway) as `python -m palermo_<name>`."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.port = int(env["HTTP_PORT"])
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = Path(env["DATA_DIR"])
        self._env = {**os.environ, **env}
        self._log_path = log_dir / f"{name}.log"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self._log_path.open("ab")
        self._process = subprocess.Popen(
            [sys.executable, "-m", f"palermo_{self.name}"],
            env=self._env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def wait_ready(self, *, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._raise_if_exited()
            try:
                if httpx.get(f"{self.url}/healthz/ready", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise TimeoutError(
            f"{self.name} not ready after {timeout}s; see {self._log_path}"
        )

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int | None:
        """Send `sig`, wait for the exit and return its code, or None if not running."""
        if self._process is None:
            return None
        self._process.send_signal(sig)
        exit_code = self._process.wait(timeout=60)
        self._process = None
        return exit_code

    def log(self) -> str:
        return self._log_path.read_text(errors="replace")

    def _raise_if_exited(self) -> None:
        if self._process is not None and self._process.poll() is not None:
            tail = self.log()[-3000:]
            raise RuntimeError(
                f"{self.name} exited with {self._process.returncode}:\n{tail}"
            )


def local_issuer(data_dir: Path) -> LocalIssuer:
    """Return the issuer of tokens that services with this `DATA_DIR` accept."""
    return LocalIssuer.from_key_file(data_dir / "signing-key.pem")


def start_palermo(
    broker: TansuBroker,
    work_dir: Path,
    database_urls: dict[str, str] | None = None,
) -> dict[str, ServiceProcess]:
    """Start every service and the gateway on the broker; wait until all are ready.

    Services and the gateway use SQLite files in `work_dir` unless
    `database_urls` names a database for each.
    """
    common = {
        "BUS_TRANSPORT": "kafka",
        "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
        "KAFKA_TOPIC_PARTITIONS": "3",
        "DATA_DIR": str(work_dir / "data"),
        "LOG_LEVEL": "INFO",
    }
    # The services verify tokens with this key, which the test signs with.
    local_issuer(work_dir / "data")
    ports = {name: free_port() for name in (*SERVICES, "gateway")}
    processes = {}
    for name in SERVICES:
        env = {**common, "HTTP_PORT": str(ports[name])}
        if database_urls:
            env["DATABASE_URL"] = database_urls[name]
        processes[name] = ServiceProcess(name, env, work_dir)
    gateway_env = {
        **common,
        "HTTP_PORT": str(ports["gateway"]),
        **{
            f"{name.upper()}_URL": f"http://127.0.0.1:{ports[name]}"
            for name in SERVICES
        },
    }
    if database_urls:
        gateway_env["DATABASE_URL"] = database_urls["gateway"]
    processes["gateway"] = ServiceProcess("gateway", gateway_env, work_dir)
    try:
        for process in processes.values():
            process.start()
        for process in processes.values():
            process.wait_ready()
    except BaseException:
        for process in processes.values():
            process.stop()
        raise
    return processes


class WebhookReceiver:
    """A real HTTP server on loopback that records the webhooks it receives."""

    def __init__(self) -> None:
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import Response
        from starlette.routing import Route

        self.received: list[dict[str, object]] = []

        async def receive(request: Request) -> Response:
            self.received.append(
                {"headers": dict(request.headers), "body": await request.json()}
            )
            return Response(status_code=204)

        app = Starlette(routes=[Route("/hook", receive, methods=["POST"])])
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        wait_for_port(self.port)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
