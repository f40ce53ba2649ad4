"""`palermo` rejects unusable arguments before it starts anything."""

from pathlib import Path

import pytest

from tests.support.command import run_palermo


@pytest.fixture
def file(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("not a folder")
    return path


@pytest.mark.parametrize(
    ("command", "option"),
    [
        (["serve"], "--data-dir"),
        (["token", "--subject", "x", "--role", "secretariat"], "--data-dir"),
        (["audit", "verify"], "--data-dir"),
        (["demo"], "--output"),
    ],
)
def test_folder_on_a_file_rejected(command: list[str], option: str, file: Path) -> None:
    result = run_palermo(*command, option, str(file / "palermo"))

    assert result.returncode == 2
    assert result.stdout == ""
    assert f"argument {option}: {file} is a file, not a folder" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["demo", "--concurrency", "0"], "0 is not a request count of at least 1"),
        (["demo", "--concurrency", "many"], "'many' is not a request count"),
        (["serve", "--port", "0"], "0 is not a port number from 1 to 65535"),
        (["serve", "--port", "http"], "'http' is not a port number"),
    ],
)
def test_unusable_number_rejected(arguments: list[str], message: str) -> None:
    result = run_palermo(*arguments)

    assert result.returncode == 2
    assert f"argument {arguments[1]}: {message}" in result.stderr
    assert "Traceback" not in result.stderr
