"""`palermo token`: tokens for local use, signed with a data folder's key."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from palermo_shared.auth import (
    LocalKeySource,
    Principal,
    Role,
    TokenVerifier,
    load_or_create_signing_key,
)
from tests.support.command import run_palermo


async def test_token_verifies_with_the_folders_key(tmp_path: Path) -> None:
    result = run_palermo(
        "token",
        "--data-dir",
        str(tmp_path),
        "--subject",
        "ana@example.org",
        "--role",
        "focal_point",
        "--state",
        "ITA",
    )
    key = load_or_create_signing_key(tmp_path / "signing-key.pem")
    verifier = TokenVerifier(LocalKeySource(key), issuer="palermo", audience="palermo")

    principal = await verifier.verify(result.stdout.strip())

    assert principal == Principal("ana@example.org", Role.FOCAL_POINT, "ITA")


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="root writes to a read-only folder all the same",
)
def test_token_from_read_only_folder(tmp_path: Path) -> None:
    load_or_create_signing_key(tmp_path / "signing-key.pem")
    tmp_path.chmod(0o555)
    try:
        result = run_palermo(
            "token",
            "--data-dir",
            str(tmp_path),
            "--subject",
            "x",
            "--role",
            "secretariat",
        )
    finally:
        tmp_path.chmod(0o755)

    assert result.returncode == 0, result.stderr
    assert result.stdout.count(".") == 2


def test_expert_without_state_is_rejected(tmp_path: Path) -> None:
    result = run_palermo(
        "token", "--data-dir", str(tmp_path), "--subject", "x", "--role", "expert"
    )

    assert result.returncode != 0
    assert "must name a State" in result.stderr
    assert result.stdout == ""


def test_invalid_settings_reported(tmp_path: Path) -> None:
    arguments = ["--data-dir", str(tmp_path), "--subject", "x", "--role", "secretariat"]
    result = run_palermo("token", *arguments, HTTP_PORT="eighty")

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("palermo token: invalid settings:\n")
    assert "  HTTP_PORT='eighty': Input should be a valid integer" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("hours", ["nan", "-1", "1e12", "many"])
def test_unusable_lifetime_rejected(tmp_path: Path, hours: str) -> None:
    arguments = ["--data-dir", str(tmp_path), "--subject", "x", "--role", "secretariat"]
    result = run_palermo("token", *arguments, "--hours", hours)

    assert result.returncode == 2
    assert result.stdout == ""
    assert "argument --hours: " in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("state", ["XXX", "IT", "ZZZ", "ATL"])
def test_unknown_state_rejected(tmp_path: Path, state: str) -> None:
    arguments = ["--data-dir", str(tmp_path), "--subject", "x", "--role", "expert"]
    result = run_palermo("token", *arguments, "--state", state)

    assert result.returncode == 2
    assert result.stdout == ""
    assert f"argument --state: {state!r} is not the ISO 3166-1" in result.stderr


def test_state_in_lower_case_accepted(tmp_path: Path) -> None:
    arguments = ["--data-dir", str(tmp_path), "--subject", "x", "--role", "expert"]
    result = run_palermo("token", *arguments, "--state", "ita")
    key = load_or_create_signing_key(tmp_path / "signing-key.pem")
    verifier = TokenVerifier(LocalKeySource(key), issuer="palermo", audience="palermo")

    assert result.returncode == 0
    principal = asyncio.run(verifier.verify(result.stdout.strip()))
    assert principal.state == "ITA"


def test_token_loads_no_service(tmp_path: Path) -> None:
    """The command imports no service: importing them all takes seconds."""
    script = (
        "import sys\n"
        "from palermo.cli import main\n"
        f"sys.argv = ['palermo', 'token', '--data-dir', {str(tmp_path)!r},"
        " '--subject', 'x', '--role', 'secretariat']\n"
        "main()\n"
        "print(*sorted({m.split('.')[0] for m in sys.modules}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    token, loaded = result.stdout.splitlines()
    assert token.count(".") == 2
    services = {"palermo_draw", "palermo_gateway", "palermo_notify"}
    services |= {"palermo_questionnaire", "palermo_review"}
    assert services.isdisjoint(loaded.split()), loaded
