"""Load: 200 focal points saving and submitting responses through the gateway.

Starts the embedded default (`palermo serve`) as a separate process on a
loopback port, opens a phase and draws lots, then runs `CLIENTS` clients at
once for `DURATION` seconds. Each client is the focal point of one State,
with that State's token, and works on one response of its own (a State,
instrument and cluster). In a loop it reads the response and saves a
changed draft with `If-Match` set to the ETag it read. Every third save is
then submitted, again with `If-Match`, and the next save of a submitted
response starts its next version.

Afterwards every stored response must equal the last save of its client
that succeeded, so no update was lost, and no request may have returned a
5xx status. There are more clients than drawn States, so the States drawn
for two instruments have two clients, which share that State's token.
"""

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

# Run as `python bench/load.py`, so bench/ is on the import path.
from results import record
from support import percentile_ms, wait_ready

from palermo.embedded import free_port
from palermo.phase import (
    PhaseRun,
    ReviewTarget,
    open_and_draw,
    phase_client,
    synthetic_answers,
)
from palermo_shared.auth import LocalIssuer, Role

CLIENTS = 200
DURATION = 60.0
# A bound on the requests of one run, in case the gateway answers faster
# than SQLite writes could explain.
MAX_REQUESTS = 200_000
SUBMIT_EVERY = 3
START_TIMEOUT = 60.0


@dataclass
class Client:
    target: ReviewTarget
    headers: dict[str, str]
    url: str
    answers: dict[str, Any] = field(default_factory=dict)
    etag: str | None = None
    last_saved: dict[str, Any] | None = None
    saves: int = 0


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(
        default_factory=lambda: {"read": [], "save": [], "submit": []}
    )
    statuses: dict[int, int] = field(default_factory=dict)
    server_errors: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(len(samples) for samples in self.latencies.values())

    async def send(
        self, step: str, http: httpx.AsyncClient, method: str, url: str, **kw: Any
    ) -> httpx.Response:
        started = time.perf_counter()
        response = await http.request(method, url, **kw)
        self.latencies[step].append(time.perf_counter() - started)
        self.statuses[response.status_code] = (
            self.statuses.get(response.status_code, 0) + 1
        )
        if response.status_code >= 500:
            self.server_errors.append(f"{method} {url}: {response.status_code}")
        return response


def start_embedded(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    command = Path(sys.executable).with_name("palermo")
    log = (data_dir / "palermo.log").open("wb")
    return subprocess.Popen(
        [str(command), "serve", "--data-dir", str(data_dir), "--port", str(port)],
        env={**os.environ, "LOG_LEVEL": "WARNING"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def choose_targets(run: PhaseRun) -> list[ReviewTarget]:
    """Return `CLIENTS` targets, spread over as many States as possible."""
    targets = sorted(run.targets(), key=lambda t: (t.instrument, t.cluster, t.state))
    chosen: list[ReviewTarget] = []
    states: set[str] = set()
    for target in targets:
        if target.state not in states:
            chosen.append(target)
            states.add(target.state)
    rest = [t for t in targets if t not in chosen]
    return (chosen + rest)[:CLIENTS]


async def prepare(
    http: httpx.AsyncClient, run: PhaseRun, target: ReviewTarget
) -> Client:
    base = f"/api/v1/questionnaire/phases/{run.phase_id}"
    headers = run.tokens.headers(Role.FOCAL_POINT, target.state)
    form_url = f"{base}/questionnaires/{target.instrument}/{target.cluster}"
    while (
        form := await http.get(
            form_url, params={"state": target.state}, headers=headers
        )
    ).status_code == 404:
        await asyncio.sleep(0.2)
    form.raise_for_status()
    url = f"{base}/responses/{target.state}/{target.instrument}/{target.cluster}"
    answers = synthetic_answers(form.json()["sections"], target.state)
    return Client(target, headers, url, answers)


def next_answers(client: Client) -> dict[str, Any]:
    """Return the client's answers with one explanation naming this save."""
    answers = dict(client.answers)
    key = next(k for k, v in answers.items() if "explanation" in v)
    answers[key] = {**answers[key], "explanation": f"Save {client.saves} (benchmark)."}
    return answers


async def work(
    http: httpx.AsyncClient, client: Client, tally: Tally, stop_at: float
) -> None:
    while time.perf_counter() < stop_at and tally.requests < MAX_REQUESTS:
        read = await tally.send("read", http, "GET", client.url, headers=client.headers)
        client.etag = read.headers.get("ETag") if read.status_code == 200 else None
        headers = dict(client.headers)
        if client.etag:
            headers["If-Match"] = client.etag
        answers = next_answers(client)
        saved = await tally.send(
            "save", http, "PUT", client.url, json={"answers": answers}, headers=headers
        )
        if saved.status_code != 200:
            continue
        client.saves += 1
        client.last_saved = answers
        if client.saves % SUBMIT_EVERY == 0:
            etag = saved.headers["ETag"]
            await tally.send(
                "submit",
                http,
                "POST",
                f"{client.url}/submit",
                headers={**client.headers, "If-Match": etag},
            )


async def lost_updates(http: httpx.AsyncClient, clients: list[Client]) -> list[str]:
    lost = []
    for client in clients:
        stored = await http.get(client.url, headers=client.headers)
        if client.last_saved is None:
            continue
        if stored.status_code != 200 or stored.json()["answers"] != client.last_saved:
            lost.append(client.url)
    return lost


async def run(url: str, tokens: LocalIssuer) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with phase_client(url, tokens, timeout=120.0, limits=limits) as http:
        phase = await open_and_draw(http, tokens, years="III-VI", seed="bench-load")
        targets = choose_targets(phase)
        clients = [await prepare(http, phase, t) for t in targets]
        tally = Tally()
        started = time.perf_counter()
        await asyncio.gather(
            *(work(http, c, tally, started + DURATION) for c in clients)
        )
        elapsed = time.perf_counter() - started
        lost = await lost_updates(http, clients)
    return {
        "clients": len(clients),
        "states": len({c.target.state for c in clients}),
        "elapsed": elapsed,
        "tally": tally,
        "lost": lost,
        "saves": sum(c.saves for c in clients),
    }


def report(result: dict[str, Any]) -> str:
    tally: Tally = result["tally"]
    requests = tally.requests
    statuses = ", ".join(f"{s}: {n}" for s, n in sorted(tally.statuses.items()))
    lines = [
        f"Embedded default (`palermo serve`, SQLite) in its own process; "
        f"{result['clients']} focal-point clients of {result['states']} States "
        f"in one load process on the same cores, for {DURATION:.0f} s. Each client "
        "reads its own response, saves it with `If-Match`, and submits every "
        f"{SUBMIT_EVERY}rd save.",
        "",
        "| step | requests | p50 (ms) | p99 (ms) |",
        "| --- | --- | --- | --- |",
    ]
    for step, samples in tally.latencies.items():
        if samples:
            lines.append(
                f"| {step} | {len(samples):,} | {percentile_ms(samples, 0.5):.0f} | "
                f"{percentile_ms(samples, 0.99):.0f} |"
            )
    lines += [
        "",
        f"{requests:,} requests in {result['elapsed']:.1f} s: "
        f"{requests / result['elapsed']:.1f} requests/s. Statuses: {statuses}.",
        f"Successful saves: {result['saves']:,}. 5xx responses: "
        f"{len(tally.server_errors)}. Lost updates (stored response differs from "
        f"its client's last successful save): {len(result['lost'])}.",
    ]
    return "\n".join(lines)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="palermo-bench-") as folder:
        data_dir = Path(folder)
        port = free_port()
        process = start_embedded(data_dir, port)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url, START_TIMEOUT)
            tokens = LocalIssuer.from_key_file(data_dir / "signing-key.pem")
            result = asyncio.run(run(url, tokens))
        finally:
            process.terminate()
            process.wait(timeout=60)
    body = report(result)
    record("load", "Load: focal points saving and submitting responses", body)
    print(body)
    if result["tally"].server_errors or result["lost"]:
        raise SystemExit("5xx responses or lost updates: see bench/RESULTS.md")


if __name__ == "__main__":
    main()
