"""`palermo audit verify` on a folder or database without an audit log."""

import sqlite3
from pathlib import Path

from tests.support.command import run_palermo


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
