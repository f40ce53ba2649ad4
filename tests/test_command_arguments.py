"""`palermo` rejects unusable arguments before it starts anything."""

import json
import socket
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


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
@pytest.mark.parametrize(
    ("command", "option"),
    [
        (["serve"], "--data-dir"),
        (["token", "--subject", "x", "--role", "secretariat"], "--data-dir"),
        (["demo"], "--output"),
    ],
)
def test_folder_that_cannot_be_created_rejected(
    command: list[str], option: str
) -> None:
    # Nothing can create a folder in /proc, whatever the user's permissions.
    result = run_palermo(*command, option, "/proc/palermo-data")

    assert result.returncode == 2
    assert result.stdout == ""
    assert (
        f"argument {option}: cannot create folder /proc/palermo-data: "
        "No such file or directory"
    ) in result.stderr
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
    assert result.stderr == (
        f"palermo {arguments[0]}: argument {arguments[1]}: {message} "
        f"(see palermo {arguments[0]} --help)\n"
    )


def test_taken_port_rejected(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_palermo("serve", "--port", str(port), "--data-dir", str(tmp_path))

    assert result.returncode == 2
    assert result.stderr == (
        f"palermo serve: argument --port: port {port} on 127.0.0.1 cannot be used "
        "(Address already in use); stop what listens there or choose another "
        "port (see palermo serve --help)\n"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("", "missing file name (the path is empty)"),
        ("{tmp}", "{tmp} is a folder, not a file"),
        (
            "{tmp}/missing/a.json",
            "cannot write {tmp}/missing/a.json: folder {tmp}/missing does not exist",
        ),
        ("{file}/a.json", "{file} is a file, not a folder"),
    ],
)
def test_unusable_asyncapi_output_rejected(
    output: str, message: str, tmp_path: Path, file: Path
) -> None:
    result = run_palermo("asyncapi", "--output", output.format(tmp=tmp_path, file=file))

    assert result.returncode == 2
    assert result.stdout == ""
    expected = message.format(tmp=tmp_path, file=file)
    assert f"argument --output: {expected}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_asyncapi_write_failure_reported() -> None:
    # Nothing can create a file in /proc, whatever the user's permissions.
    result = run_palermo("asyncapi", "--output", "/proc/palermo-asyncapi.json")

    assert result.returncode == 1
    assert "cannot write /proc/palermo-asyncapi.json: " in result.stderr
    assert "Traceback" not in result.stderr


def test_asyncapi_written_to_file(tmp_path: Path) -> None:
    output = tmp_path / "asyncapi.json"

    result = run_palermo("asyncapi", "--output", str(output))

    assert result.returncode == 0
    assert json.loads(output.read_text())["asyncapi"].startswith("3.")
