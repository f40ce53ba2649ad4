"""Notify's own settings, read from the environment as a deployment sets them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from palermo_notify.settings import NotifySettings
from palermo_shared.settings import InvalidSettings
from tests.support.network import free_port
from tests.support.settings import invalid_report


def test_secretariat_emails_normalized(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "SECRETARIAT_EMAILS", '["Zoe@XN--R8JZ45G.jp", "ops@un.example.org"]'
    )

    settings = NotifySettings()

    assert settings.secretariat_emails == ["zoe@例え.jp", "ops@un.example.org"]


def test_invalid_secretariat_email_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRETARIAT_EMAILS", '["ops@un.example.org", "ops@例え"]')

    with pytest.raises(InvalidSettings) as raised:
        NotifySettings()

    lines = str(raised.value).splitlines()
    assert len(lines) == 2
    assert lines[1].startswith("  SECRETARIAT_EMAILS=")
    assert "invalid e-mail address 'ops@例え': " in lines[1]


def test_unusable_public_address_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    report = invalid_report(NotifySettings, monkeypatch, "PUBLIC_BASE_URL", "palermo")

    assert "  PUBLIC_BASE_URL='palermo': invalid URL; expected http://" in report


@pytest.mark.parametrize("sender", ["nobody", "palermo at un.example.org", "@un.org"])
def test_invalid_sender_ends_start(sender: str, tmp_path: Path) -> None:
    # Without the check the service starts, and SMTP servers may later reject
    # every e-mail.
    finished = _start_notify(tmp_path, "SMTP_SENDER", sender)

    heading, problem = finished.stderr.splitlines()
    assert finished.returncode == 1
    assert heading == "invalid settings of the notify service:"
    assert problem.startswith(
        f"  SMTP_SENDER={sender!r}: invalid e-mail address {sender!r}; expected"
    )


def test_list_not_in_json_ends_start(tmp_path: Path) -> None:
    finished = _start_notify(tmp_path, "SECRETARIAT_EMAILS", "ops@un.example.org")

    heading, problem = finished.stderr.splitlines()
    assert finished.returncode == 1
    assert heading == "invalid settings of the notify service:"
    assert problem.startswith(
        "  SECRETARIAT_EMAILS='ops@un.example.org': invalid list; write lists as JSON"
    )


def test_local_sender_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_SENDER", "palermo@localhost")

    assert NotifySettings().smtp_sender == "palermo@localhost"


def _start_notify(
    data_dir: Path, variable: str, value: str
) -> subprocess.CompletedProcess[str]:
    """Run the notify service with `variable` set to `value` until it exits."""
    environment = {
        **os.environ,
        "HTTP_PORT": str(free_port()),
        "DATA_DIR": str(data_dir),
        "BUS_TRANSPORT": "memory",
        variable: value,
    }
    return subprocess.run(
        [sys.executable, "-m", "palermo_notify"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=20,
    )
