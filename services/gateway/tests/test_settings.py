"""Gateway settings read from the environment."""

import pytest

from palermo_gateway.settings import GatewaySettings
from palermo_shared.settings import InvalidSettings
from tests.support.settings import invalid_report


def test_list_not_in_json_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", "*")

    with pytest.raises(InvalidSettings) as raised:
        GatewaySettings()

    message = str(raised.value)
    assert message.startswith("invalid settings of the gateway service:\n")
    assert "\n  CORS_ALLOWED_ORIGINS='*': invalid list; write lists as JSON" in message


@pytest.mark.parametrize(
    "variable",
    [
        "EVENT_HISTORY_SIZE",
        "EVENT_HEARTBEAT_SECONDS",
        "UPSTREAM_TIMEOUT_SECONDS",
        "UPSTREAM_MAX_CONNECTIONS",
    ],
)
def test_negative_limit_rejected(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    report = invalid_report(GatewaySettings, monkeypatch, variable, "-5")

    assert f"  {variable}='-5': " in report


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DRAW_URL", "notaurl"),
        ("REVIEW_URL", "review:8000"),
        ("NOTIFY_URL", "ftp://notify:8000"),
        ("QUESTIONNAIRE_URL", "http://"),
        ("ACTIVATION_URL", "/activate#code={code}"),
    ],
)
def test_unusable_address_rejected(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    report = invalid_report(GatewaySettings, monkeypatch, variable, value)

    assert (
        f"  {variable}={value!r}: invalid URL; expected http:// or https://" in report
    )


def test_service_address_with_path_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRAW_URL", "https://draw.internal:8443/palermo")

    assert GatewaySettings().draw_url == "https://draw.internal:8443/palermo"
