"""Service settings read from the environment."""

from pathlib import Path

import pytest

from palermo_shared.settings import InvalidSettings, ServiceSettings
from tests.support.settings import invalid_report


def test_database_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql+asyncpg://palermo@db.example.org/review"
    monkeypatch.setenv("DATABASE_URL", url)

    assert ServiceSettings().database_url == url


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("postgresql://palermo:secret@db/review", "scheme 'postgresql'"),
        ("sqlite:///var/review.db", "scheme 'sqlite'"),
        ("palermo:secret@db/review", "scheme missing"),
    ],
)
def test_unsupported_database_url_rejected(url: str, scheme: str) -> None:
    with pytest.raises(InvalidSettings) as raised:
        ServiceSettings(database_url=url)

    message = str(raised.value)
    assert f"invalid DATABASE_URL: {scheme}" in message
    assert "starting with sqlite+aiosqlite:// or postgresql+asyncpg://" in message
    assert "secret" not in message


def test_invalid_values_reported_by_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PORT", "eighty")
    monkeypatch.setenv("KAFKA_TOPIC_PARTITIONS", "six")

    with pytest.raises(InvalidSettings) as raised:
        ServiceSettings()

    lines = str(raised.value).splitlines()
    assert lines[0] == "invalid settings:"
    assert lines[1].startswith("  HTTP_PORT='eighty': Input should be a valid integer")
    assert lines[2].startswith("  KAFKA_TOPIC_PARTITIONS='six': Input should be")
    assert len(lines) == 3


def test_database_url_value_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://palermo:secret@db/review")
    monkeypatch.setenv("HTTP_PORT", "eighty")

    with pytest.raises(InvalidSettings) as raised:
        ServiceSettings()

    message = str(raised.value)
    assert "  DATABASE_URL: invalid DATABASE_URL: scheme 'mysql';" in message
    assert "  HTTP_PORT='eighty': " in message
    assert "secret" not in message


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("HTTP_PORT", "70000"),
        ("HTTP_PORT", "0"),
        ("KAFKA_TOPIC_PARTITIONS", "-3"),
        ("PUBLISH_TIMEOUT_SECONDS", "-5"),
        ("PUBLISH_TIMEOUT_SECONDS", "nan"),
        ("DATABASE_STARTUP_TIMEOUT_SECONDS", "-1"),
        ("DATABASE_STARTUP_TIMEOUT_SECONDS", "3601"),
        ("LOG_LEVEL", "LOUD"),
        ("LOG_LEVEL", ""),
        ("KAFKA_BOOTSTRAP_SERVERS", ""),
        ("KAFKA_BOOTSTRAP_SERVERS", " "),
        ("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092,"),
        ("AUTH_JWKS_URL", "keycloak/certs"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "otel-collector:4318"),
    ],
)
def test_out_of_range_value_rejected(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    report = invalid_report(ServiceSettings, monkeypatch, variable, value)

    assert f"  {variable}={value!r}: " in report


def test_log_level_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "debug")

    assert ServiceSettings().log_level == "DEBUG"


@pytest.mark.parametrize("below", ["", "review"])
def test_data_dir_on_a_file_rejected(
    below: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("not a folder")

    report = invalid_report(ServiceSettings, monkeypatch, "DATA_DIR", str(file / below))

    assert f"  DATA_DIR='{file / below}': {file} is a file, not a folder" in report


def test_data_dir_yet_to_be_created_accepted(tmp_path: Path) -> None:
    folder = tmp_path / "var" / "palermo"

    assert ServiceSettings(data_dir=folder).data_dir == folder
