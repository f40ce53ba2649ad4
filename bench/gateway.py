"""Gateway overhead: one request sent to a service directly and through the gateway.

Starts the draw service and two gateways in front of it (one forwarding with
httpx's own transport, one with the aiohttp transport), all as separate
processes on loopback ports, then runs the same closed-loop load against
each in turn: `CONCURRENCY` clients, each sending `GET /states/KEN` as soon
as its previous response arrives, for `DURATION` seconds. The direct run is
repeated at the end to show how much the machine drifted meanwhile. The
latency a hop adds is measured apart, with one client, so that it is not
mixed with queueing.

Every request carries a Secretariat token, which the gateway and the
service each verify, and the gateways' rate limit is raised above the load.
The load generator shares the machine's cores with the servers, so the
figures are lower than on a dedicated client; the ratios are what compare.
"""

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

# Run as `python bench/gateway.py`, so bench/ is on the import path.
from results import record
from support import free_port, percentile_ms, wait_ready

from palermo_shared.auth import LocalIssuer, Role

CONCURRENCY = 64
DURATION = 8.0
LATENCY_DURATION = 3.0
WARM_UP = 1.0
PATH = "/states/KEN"


@dataclass
class Run:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def percentile(self, fraction: float) -> float:
        return percentile_ms(self.latencies, fraction)


def start(module: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", module],
            env={**os.environ, **env, "LOG_LEVEL": "WARNING"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )


async def load(
    name: str, url: str, headers: dict[str, str], *, concurrency: int, duration: float
) -> Run:
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        warm_until = time.perf_counter() + WARM_UP
        stop_at = warm_until + duration

        async def client() -> None:
            nonlocal errors
            while (now := time.perf_counter()) < stop_at:
                async with session.get(url) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
                if now >= warm_until:
                    latencies.append(time.perf_counter() - now)

        await asyncio.gather(*(client() for _ in range(concurrency)))
    return Run(name, len(latencies), errors, duration, latencies)


def table(runs: list[Run]) -> str:
    direct = runs[0]
    lines = [
        "| target | requests/s | share of direct | p50 (ms) | p99 (ms) | errors |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for run in runs:
        lines.append(
            f"| {run.name} | {run.throughput:,.0f} | "
            f"{run.throughput / direct.throughput:.0%} | {run.percentile(0.5):.1f} | "
            f"{run.percentile(0.99):.1f} | {run.errors} |"
        )
    return "\n".join(lines)


async def measure(
    targets: dict[str, str], headers: dict[str, str]
) -> tuple[list[Run], list[Run]]:
    """Return the throughput runs, then the one-client latency runs."""
    throughput = []
    for name, url in targets.items():
        throughput.append(
            await load(name, url, headers, concurrency=CONCURRENCY, duration=DURATION)
        )
    throughput.append(
        await load(
            "direct, again",
            targets["direct"],
            headers,
            concurrency=CONCURRENCY,
            duration=DURATION,
        )
    )
    latency = []
    for name, url in targets.items():
        latency.append(
            await load(name, url, headers, concurrency=1, duration=LATENCY_DURATION)
        )
    return throughput, latency


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="palermo-bench-") as folder:
        work = Path(folder)
        key_file = work / "signing-key.pem"
        headers = LocalIssuer.from_key_file(key_file).headers(Role.SECRETARIAT)
        draw_port, httpx_port, aiohttp_port = free_port(), free_port(), free_port()
        draw_url = f"http://127.0.0.1:{draw_port}"
        common = {"AUTH_SIGNING_KEY_FILE": str(key_file)}
        processes = [
            start(
                "palermo_draw",
                {**common, "HTTP_PORT": str(draw_port), "DATA_DIR": str(work / "draw")},
                work / "draw.log",
            ),
        ]
        for port, transport in ((httpx_port, "httpx"), (aiohttp_port, "aiohttp")):
            env = {
                **common,
                "HTTP_PORT": str(port),
                "DATA_DIR": str(work / transport),
                "DRAW_URL": draw_url,
                "UPSTREAM_TRANSPORT": transport,
                "RATE_LIMIT_PER_SECOND": "1000000",
                "RATE_LIMIT_BURST": "1000000",
            }
            processes.append(start("palermo_gateway", env, work / f"{transport}.log"))
        try:
            for port in (draw_port, httpx_port, aiohttp_port):
                wait_ready(f"http://127.0.0.1:{port}")
            throughput, latency = asyncio.run(
                measure(
                    {
                        "direct": f"{draw_url}{PATH}",
                        "gateway, httpx transport": (
                            f"http://127.0.0.1:{httpx_port}/api/v1/draw{PATH}"
                        ),
                        "gateway, aiohttp transport": (
                            f"http://127.0.0.1:{aiohttp_port}/api/v1/draw{PATH}"
                        ),
                    },
                    headers,
                )
            )
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)

    added = latency[2].percentile(0.5) - latency[0].percentile(0.5)
    body = (
        f"`GET {PATH}` on the draw service. Throughput: {CONCURRENCY} concurrent "
        f"clients, {DURATION:.0f} s per target after {WARM_UP:.0f} s of warm-up; the "
        "load generator runs on the same cores.\n\n"
        f"{table(throughput)}\n\n"
        f"Latency with one client, {LATENCY_DURATION:.0f} s per target:\n\n"
        f"{table(latency)}\n\n"
        f"Latency added at p50 by the gateway (aiohttp transport): {added:.2f} ms."
    )
    record("gateway", "Gateway overhead against direct calls", body)
    print(body)


if __name__ == "__main__":
    main()
