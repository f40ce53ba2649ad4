"""Entry point shared by the service processes (`python -m palermo_<service>`)."""

import contextlib
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI
from starlette.applications import Starlette
from uvicorn.config import STARTUP_FAILURE

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

    Invalid settings end the process with status 1 and a report of each.
    """
    try:
        settings = settings_class()
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
    server = uvicorn.Server(config)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)
