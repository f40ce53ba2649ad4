"""`palermo audit verify` on a folder or database without an audit log."""

import sqlite3
from pathlib import Path

from tests.support.command import run_palermo
from tests.support.network import free_port


def test_verify_without_database_file(tmp_path: Path) -> None:
    database = tmp_path / "gateway.db"

    by_folder = run_palermo("audit", "verify", "--data-dir", str(tmp_path))
    by_url = run_palermo(
        "audit", "verify", "--database-url", f"sqlite+aiosqlite:///{database}"
    )

    for result in (by_folder, by_url):
        assert result.returncode == 1
        assert result.stdout == ""
        assert result.stderr == (
            f"palermo audit verify: no audit log: {database} does not exist\n"
        )
    assert list(tmp_path.iterdir()) == []


def test_verify_without_audit_table(tmp_path: Path) -> None:
    database = tmp_path / "gateway.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE account (id INTEGER PRIMARY KEY)")

    result = run_palermo("audit", "verify", "--data-dir", str(tmp_path))

    assert result.returncode == 1
    assert result.stderr == (
        f"palermo audit verify: no audit log: {database} has no audit_entry table\n"
    )


def test_verify_unsupported_database_url() -> None:
    result = run_palermo("audit", "verify", "--database-url", "mysql://x")

    assert result.returncode == 2
    assert result.stdout == ""
    assert (
        "argument --database-url: invalid DATABASE_URL: scheme 'mysql'; expected "
        "a URL starting with sqlite+aiosqlite:// or postgresql+asyncpg://"
    ) in result.stderr
    assert "Traceback" not in result.stderr


def test_verify_unreachable_database() -> None:
    # Nothing listens on a port that was just free.
    port = free_port()
    url = f"postgresql+asyncpg://u:secret@127.0.0.1:{port}/x"

    result = run_palermo("audit", "verify", "--database-url", url)

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(
        f"palermo audit verify: cannot connect to database 'x' on 127.0.0.1:{port} ("
    )
    assert result.stderr.count("\n") == 1
    assert "secret" not in result.stderr
    assert "Traceback" not in result.stderr
