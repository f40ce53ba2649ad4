"""A throwaway PostgreSQL server from Debian's binaries, for tests and benchmarks.

It runs in a temporary folder and is reached by a Unix socket only. As
root, the server runs as the `postgres` user, because PostgreSQL does not
run as root.
"""

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.support.network import free_port

# Tests need no durability, and skipping the disk flushes saves them time.
_WITHOUT_FLUSHES = "-c fsync=off -c synchronous_commit=off"


class PostgresNotInstalled(RuntimeError):
    """Raised when no PostgreSQL server binaries are installed."""


class PostgresServer:
    """A PostgreSQL server in a temporary folder, reached by a Unix socket.

    `durable=True` keeps PostgreSQL's default flush to disk at each commit,
    as a production server does. Tests leave it out.
    """

    def __init__(self, *, durable: bool = False) -> None:
        self._bin = _postgres_bin_dir()
        self._root = Path(tempfile.mkdtemp(prefix="palermo-pg-"))
        self._data = self._root / "data"
        self.socket_dir = str(self._root)
        self.port = free_port()
        self._databases: set[str] = set()
        if os.geteuid() == 0:
            shutil.chown(self._root, "postgres", "postgres")
        self._run(
            "initdb",
            "-D",
            str(self._data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        )
        options = (
            f"-k {self.socket_dir} -p {self.port} -c listen_addresses='' "
            "-c max_connections=500"
        )
        if not durable:
            options += f" {_WITHOUT_FLUSHES}"
        self._run(
            "pg_ctl",
            "-D",
            str(self._data),
            "-l",
            str(self._root / "log"),
            "-o",
            options,
            "-w",
            "start",
        )

    def url(self, database: str) -> str:
        return (
            f"postgresql+asyncpg://postgres@/{database}"
            f"?host={self.socket_dir}&port={self.port}"
        )

    @property
    def socket_file(self) -> str:
        """Return the path of the Unix socket the server listens on."""
        return f"{self.socket_dir}/.s.PGSQL.{self.port}"

    def database_for(self, key: str) -> str:
        """Create (once) and return the database standing in for `key`."""
        name = "t_" + hashlib.sha256(key.encode()).hexdigest()[:20]
        if name not in self._databases:
            self._run(
                "createdb",
                "-h",
                self.socket_dir,
                "-p",
                str(self.port),
                "-U",
                "postgres",
                name,
            )
            self._databases.add(name)
        return name

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self._data), "-m", "immediate", "stop")
        shutil.rmtree(self._root, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self._bin / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd=self._root)


def _postgres_bin_dir() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not versions:
        raise PostgresNotInstalled(
            "PostgreSQL server binaries not found: install Debian's postgresql "
            "(make postgresql-binaries)"
        )
    return versions[-1].parent
