"""The first connection of a starting service to its PostgreSQL server.

On Kubernetes or Docker Compose the database often starts after the
services. A service retries a server that cannot be reached yet for a
bounded time, and fails at once when the server responds but rejects the
connection, because retrying cannot fix a wrong password or database name.
"""

import asyncio
import logging

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from palermo_shared.db import create_engine, describe_database

logger = logging.getLogger(__name__)

FIRST_RETRY_DELAY_SECONDS = 0.5
MAX_RETRY_DELAY_SECONDS = 5.0

# asyncpg (0.32) waits 60 s for a connection by default. A server that can
# be reached accepts one in milliseconds, so a silent host is given up sooner.
CONNECT_ATTEMPT_TIMEOUT_SECONDS = 5.0

# SQLSTATE 57P03, cannot_connect_now: the server is starting up or shutting
# down, so a later attempt may succeed.
CANNOT_CONNECT_NOW = "57P03"
# SQLSTATE class 28, invalid authorization: an unknown user or a wrong password.
INVALID_AUTHORIZATION_CLASS = "28"
# SQLSTATE 3D000, invalid_catalog_name: the database does not exist.
INVALID_CATALOG_NAME = "3D000"


class DatabaseUnavailable(RuntimeError):
    """Raised when a service cannot connect to its database at start.

    The message is one line for an operator, without the password.
    """


async def wait_for_database(database_url: str, *, timeout: float) -> None:
    """Connect once to the PostgreSQL server of `database_url`, retrying for
    up to `timeout` seconds while the server cannot be reached.

    Each failed attempt is logged as a WARNING. Raises DatabaseUnavailable
    when the time is up, or at once when the server rejects the connection.
    The last attempt may end up to CONNECT_ATTEMPT_TIMEOUT_SECONDS after
    `timeout`. SQLite URLs return at once: the service creates the file.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return

    target = describe_database(url)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    delay = FIRST_RETRY_DELAY_SECONDS
    attempt = 1
    while True:
        try:
            await _connect_once(database_url)
            return
        except OSError as error:
            # A refused or reset connection, a Unix socket or a host name that
            # does not exist yet, or a timeout: the server cannot be reached.
            # The operating system's error alone, because the line names the target.
            reason = _reason(error.__cause__ or error, url.password)
        except DBAPIError as error:
            if _sqlstate(error) != CANNOT_CONNECT_NOW:
                raise _rejected(target, error, url.password) from None
            reason = _reason(error, url.password)

        remaining = deadline - loop.time()
        if remaining <= 0:
            within = f" within {timeout:g} s" if timeout else ""
            raise DatabaseUnavailable(
                f"cannot connect to {target}{within} "
                f"({reason}); check that the PostgreSQL server is running and "
                "that the host and port in DATABASE_URL are right"
            )
        wait = min(delay, remaining)
        logger.warning(
            "cannot connect to %s (attempt %d: %s), retrying in %.1f s",
            target,
            attempt,
            reason,
            wait,
        )
        await asyncio.sleep(wait)
        delay = min(delay * 2, MAX_RETRY_DELAY_SECONDS)
        attempt += 1


async def _connect_once(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with asyncio.timeout(CONNECT_ATTEMPT_TIMEOUT_SECONDS):
            async with engine.connect():
                pass
    finally:
        await engine.dispose()


def _rejected(
    target: str, error: DBAPIError, password: str | None
) -> DatabaseUnavailable:
    sqlstate = _sqlstate(error) or ""
    if sqlstate.startswith(INVALID_AUTHORIZATION_CLASS):
        advice = "check the user name and password in DATABASE_URL"
    elif sqlstate == INVALID_CATALOG_NAME:
        advice = "create the database or correct its name in DATABASE_URL"
    else:
        advice = "check DATABASE_URL and the server's log"
    reason = _reason(error, password)
    return DatabaseUnavailable(
        f"cannot connect to {target}: the server rejected the connection "
        f"({reason}); {advice}"
    )


def _sqlstate(error: DBAPIError) -> str | None:
    original = getattr(error, "orig", None)
    sqlstate: str | None = getattr(original, "sqlstate", None)
    return sqlstate


def _reason(error: BaseException, password: str | None) -> str:
    """Return the driver's message of `error` on one line, without `password`.

    SQLAlchemy's own text adds the class name and a link on a second line,
    so the driver's message is used instead.
    """
    original = getattr(error, "orig", None) or error
    reason = " ".join(str(original).split()) or type(original).__name__
    if password:
        reason = reason.replace(password, "***")
    return reason
