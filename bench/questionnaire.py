"""Benchmark: 50 States save a full questionnaire draft and submit it, concurrently.

Runs the embedded Palermo (`palermo.embedded.run_embedded`) and talks HTTP to
its gateway. For each State, two officials then race to change the draft with
the same ETag: exactly one must win and the stored draft must be the
winner's, so no update is lost. No request may return a 5xx status. Writes the
latencies (p50, p99) of the draft saves and submissions to bench/RESULTS.md.

    .venv/bin/python bench/questionnaire.py
"""

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

# Run as `python bench/questionnaire.py`, so bench/ is on the import path.
from results import record
from support import percentile_ms

from palermo.embedded import run_embedded
from palermo.phase import open_and_draw, phase_client, synthetic_answers
from palermo_shared.auth import LocalIssuer, Role

STATES = 50
INSTRUMENT = "convention"
CLUSTER = "criminalization"


class Timings:
    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = {"save": [], "submit": []}
        self.server_errors: list[str] = []

    async def send(
        self, step: str, client: httpx.AsyncClient, method: str, url: str, **kw: Any
    ) -> httpx.Response:
        started = time.perf_counter()
        response = await client.request(method, url, **kw)
        if step in self.samples:
            self.samples[step].append(time.perf_counter() - started)
        if response.status_code >= 500:
            self.server_errors.append(f"{method} {url}: {response.status_code}")
        return response


def full_answers(questionnaire: dict[str, Any], state: str) -> dict[str, Any]:
    """Answer every question the benchmark can fill, beyond the required ones."""
    answers = synthetic_answers(questionnaire["sections"], state)
    for section in questionnaire["sections"]:
        article = section["article"]
        answers[f"article-{article}.practice"] = {"value": "Synthetic practice."}
        answers[f"article-{article}.statistics"] = {"value": 12, "reference_year": 2025}
    return answers


async def one_state(
    client: httpx.AsyncClient,
    timings: Timings,
    phase_id: str,
    state: str,
    tokens: LocalIssuer,
) -> None:
    focal_point = tokens.headers(Role.FOCAL_POINT, state)
    base = f"/api/v1/questionnaire/phases/{phase_id}"
    form = await timings.send(
        "form",
        client,
        "GET",
        f"{base}/questionnaires/{INSTRUMENT}/{CLUSTER}",
        params={"state": state},
        headers=focal_point,
    )
    answers = full_answers(form.json(), state)
    url = f"{base}/responses/{state}/{INSTRUMENT}/{CLUSTER}"
    created = await timings.send(
        "save", client, "PUT", url, json={"answers": answers}, headers=focal_point
    )
    assert created.status_code == 200, created.text
    etag = created.headers["ETag"]

    # Two officials race with the same ETag: one wins, the other gets 412.
    practice = next(k for k in answers if k.endswith(".practice"))
    edits = [
        {**answers, practice: {"value": f"Edit by official {name}."}}
        for name in ("A", "B")
    ]
    race = await asyncio.gather(
        *(
            timings.send(
                "save",
                client,
                "PUT",
                url,
                json={"answers": edit},
                headers={**focal_point, "If-Match": etag},
            )
            for edit in edits
        )
    )
    statuses = [r.status_code for r in race]
    assert sorted(statuses) == [200, 412], f"{state}: race answered {statuses}"
    winner = statuses.index(200)
    stored = (await client.get(url, headers=focal_point)).json()
    assert stored["answers"] == edits[winner], f"{state}: the winner's edit was lost"

    submitted = await timings.send(
        "submit",
        client,
        "POST",
        f"{url}/submit",
        headers={**focal_point, "If-Match": race[winner].headers["ETag"]},
    )
    assert submitted.status_code == 200, submitted.text


async def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="palermo-bench-") as data_dir:
        tokens = LocalIssuer.from_key_file(Path(data_dir) / "signing-key.pem")
        async with (
            run_embedded(Path(data_dir)) as url,
            phase_client(url, tokens, timeout=120.0) as client,
        ):
            phase = await open_and_draw(client, tokens, years="III-VI", seed="bench")
            states = sorted(
                {
                    a["state_under_review"]
                    for a in phase.draw["assignments"]
                    if a["instrument"] == INSTRUMENT
                }
            )[:STATES]
            timings = Timings()
            started = time.perf_counter()
            await asyncio.gather(
                *(one_state(client, timings, phase.phase_id, s, tokens) for s in states)
            )
            elapsed = time.perf_counter() - started
    assert not timings.server_errors, timings.server_errors
    return {"states": len(states), "elapsed": elapsed, "samples": timings.samples}


def report(result: dict[str, Any]) -> str:
    lines = [
        f"Embedded runner, {result['states']} States concurrently, SQLite. Each "
        "State saves a full draft of the Convention's criminalization "
        "questionnaire, two officials race on it with one ETag (one 200, one "
        "412; the stored draft is the winner's), then it is submitted. "
        "No lost update and no 5xx.",
        "",
        "| step | requests | p50 (ms) | p99 (ms) |",
        "| --- | --- | --- | --- |",
    ]
    for step, samples in result["samples"].items():
        lines.append(
            f"| {step} | {len(samples)} | {percentile_ms(samples, 0.5):.0f} "
            f"| {percentile_ms(samples, 0.99):.0f} |"
        )
    lines += ["", f"Wall time of the concurrent part: {result['elapsed']:.1f} s."]
    return "\n".join(lines)


def main() -> None:
    body = report(asyncio.run(run()))
    record("questionnaire", "Questionnaire: draft saves and submissions", body)
    print(body)


if __name__ == "__main__":
    main()
