"""Helpers shared by the benchmarks: loopback servers and latency figures.

The benchmarks run as `python bench/NAME.py`, so this folder is on the
import path. The repository root is added too, because the test support
code that starts brokers and database servers and finds free ports lives
there.
"""

import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.network import free_port
from tests.support.postgres import PostgresServer
from tests.support.tansu import TansuBroker

__all__ = ["PostgresServer", "TansuBroker", "free_port", "percentile_ms", "wait_ready"]


def wait_ready(url: str, timeout: float = 60.0) -> None:
    """Wait until the server at `url` reports ready, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready after {timeout:.0f} s")


def percentile_ms(seconds: list[float], fraction: float) -> float:
    """Return the `fraction` percentile of durations in seconds, in milliseconds."""
    ordered = sorted(seconds)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000
