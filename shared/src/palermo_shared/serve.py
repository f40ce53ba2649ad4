"""Entry point shared by the service processes (`python -m palermo_<service>`)."""

import asyncio
import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI
from starlette.applications import Starlette
from uvicorn.config import STARTUP_FAILURE

from palermo_shared.db_wait import DatabaseUnavailable, wait_for_database
from palermo_shared.logs import configure_logging
from palermo_shared.service import SHUTDOWN_GRACE_SECONDS
from palermo_shared.settings import InvalidSettings, ServiceSettings
from palermo_shared.telemetry import configure_tracing

S = TypeVar("S", bound=ServiceSettings)

# Services keep idle connections longer than callers pool them, so callers drop
# them first. With equal timeouts (uvicorn and httpx both default to 5 s), a
# request sent as the service closes its connection fails with an empty read.
KEEP_ALIVE_SECONDS = 75
CALLER_KEEP_ALIVE_SECONDS = 60.0

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Server(uvicorn.Server):
    """uvicorn's server, stopped by SIGINT or SIGTERM through the event loop.

    uvicorn (0.55) sets its handlers with `signal.signal` and raises the
    signal again once the server has stopped. An unhandled SIGTERM then ends
    the process with the signal's status. Here the handlers go on the
    running loop instead, and the signal is not raised again. The process
    exits with status 0 after SIGINT and SIGTERM alike, because both request
    a planned stop.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        with stop_on_signals(self):
            yield


@contextlib.contextmanager
def stop_on_signals(server: uvicorn.Server) -> Iterator[None]:
    """Stop `server` on SIGINT or SIGTERM until the block ends.

    A second SIGINT forces the exit, as in uvicorn. The previous handlers
    come back at the end. Outside the main thread, which alone receives
    signals, nothing is set.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    loop = asyncio.get_running_loop()
    previous_handlers = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, server.handle_exit, sig, None)
    try:
        yield
    finally:
        for sig, handler in previous_handlers.items():
            loop.remove_signal_handler(sig)
            # None stands for a handler set outside Python, which cannot be set again.
            if handler is not None:
                signal.signal(sig, handler)


def server_config(
    app: Starlette, *, host: str, port: int, **options: Any
) -> uvicorn.Config:
    """Return uvicorn's settings for serving `app` on `host`:`port`.

    Logging is left to `configure_logging`: uvicorn's own set-up would stay
    on its loggers for the rest of the process.
    """
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        **options,
    )


def serve(create_app: Callable[[S], FastAPI], settings_class: type[S]) -> None:
    """Read the settings, configure logging and tracing, then serve the app
    until SIGTERM or SIGINT.

    Invalid settings end the process with status 1 and a report of each,
    and so does a database that cannot be reached within
    `database_startup_timeout_seconds` or that rejects the connection.
    """
    try:
        settings = settings_class()
        settings.prepare_folders()
        settings.check_http_host()
    except InvalidSettings as error:
        sys.exit(str(error))

    configure_logging(settings.log_format, settings.log_level)
    configure_tracing(
        f"palermo-{settings.service_name}",
        otlp_endpoint=settings.otel_exporter_otlp_endpoint,
    )
    config = server_config(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        timeout_graceful_shutdown=int(SHUTDOWN_GRACE_SECONDS),
    )
    server = Server(config)
    # A SIGINT before the server's handlers are set, as during the database
    # wait, raises KeyboardInterrupt. The process then exits quietly with
    # status 0, as after a later SIGINT.
    with contextlib.suppress(KeyboardInterrupt):
        _wait_for_database(settings)
        server.run()
        if not server.started:
            sys.exit(STARTUP_FAILURE)


def _wait_for_database(settings: ServiceSettings) -> None:
    try:
        asyncio.run(
            wait_for_database(
                settings.database_url,
                timeout=settings.database_startup_timeout_seconds,
            )
        )
    except DatabaseUnavailable as error:
        sys.exit(f"{settings.service_name} service: {error}")
