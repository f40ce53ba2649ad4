"""Notify's own settings, read from the environment as a deployment sets them."""

import pytest

from palermo_notify.settings import NotifySettings
from palermo_shared.settings import InvalidSettings
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
