"""The embedded default: every service and the gateway in one process."""

from pathlib import Path

import httpx
import pytest

from palermo.embedded import run_embedded

SERVICES = ("draw", "questionnaire", "review", "notify", "gateway")


async def test_database_url_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    shared = tmp_path / "shared.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{shared}")
    data_dir = tmp_path / "data"

    with caplog.at_level("WARNING"):
        async with run_embedded(data_dir) as url, httpx.AsyncClient() as client:
            response = await client.get(f"{url}/api/v1/draw/healthz/live")

    assert response.status_code == 200
    assert not shared.exists()
    for service in SERVICES:
        assert (data_dir / f"{service}.db").exists(), service
    assert "DATABASE_URL is ignored" in caplog.text
