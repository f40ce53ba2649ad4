"""`palermo-draw-verify`: re-running a record saved from the API."""

import json
import subprocess
import sys

from palermo_draw.verify_cli import main


async def save_record(draw_service, drawn, path) -> dict:
    response = await draw_service.client.get(f"/phases/{drawn.phase_id}/draw/record")
    path.write_text(response.text, encoding="utf-8")
    record: dict = response.json()
    return record


async def test_cli_verifies_record(draw_service, draw_phase, tmp_path, capsys) -> None:
    drawn = await draw_phase(instruments=("convention", "firearms"))
    record_path = tmp_path / "record.json"
    await save_record(draw_service, drawn, record_path)

    code = main([str(record_path)])

    assert code == 0
    assert capsys.readouterr().out.startswith("verified:")


async def test_cli_verifies_redraws(draw_service, draw_phase, tmp_path, capsys) -> None:
    drawn = await draw_phase(mode="per_instrument")
    body = {
        "instrument": "convention",
        "state_under_review": "KEN",
        "requested_by": "KEN",
        "reason": "conflict of interest",
        "meeting_id": drawn.meeting_id,
        "seed": "redraw",
    }
    redraw = await draw_service.client.post(
        f"/phases/{drawn.phase_id}/redraws", json=body
    )
    assert redraw.status_code == 201
    record_path = tmp_path / "record.json"
    await save_record(draw_service, drawn, record_path)

    code = main([str(record_path)])

    assert code == 0
    assert "1 redraws" in capsys.readouterr().out


async def test_cli_refutes_tampered_party(
    draw_service, draw_phase, tmp_path, capsys
) -> None:
    # Moving Kenya to another regional group changes who may review whom.
    drawn = await draw_phase()
    record_path = tmp_path / "record.json"
    record = await save_record(draw_service, drawn, record_path)
    for party in record["parties"]["convention"]:
        if party["iso3"] == "KEN":
            party["regional_group"] = "Asia-Pacific"
    record_path.write_text(json.dumps(record), encoding="utf-8")

    code = main([str(record_path)])

    output = capsys.readouterr().out
    assert code == 1
    assert output.startswith("refuted:")
    assert "KEN" in output


async def test_cli_unreadable_record(tmp_path, capsys) -> None:
    record_path = tmp_path / "record.json"
    record_path.write_text("{not json", encoding="utf-8")

    code = main([str(record_path)])

    assert code == 2
    assert "cannot read the record" in capsys.readouterr().err


def test_cli_module_runs(tmp_path) -> None:
    missing = tmp_path / "missing.json"

    completed = subprocess.run(
        [sys.executable, "-m", "palermo_draw.verify_cli", str(missing)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 2
    assert "missing.json" in completed.stderr
