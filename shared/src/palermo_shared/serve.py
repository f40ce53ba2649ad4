"""Entry point shared by the service processes (`python -m palermo_<service>`)."""

from collections.abc import Callable
from typing import TypeVar

import uvicorn
from fastapi import FastAPI

from palermo_shared.logs import configure_logging
from palermo_shared.service import SHUTDOWN_GRACE_SECONDS
from palermo_shared.settings import ServiceSettings
from palermo_shared.telemetry import configure_tracing

S = TypeVar("S", bound=ServiceSettings)


def serve(create_app: Callable[[S], FastAPI], settings: S) -> None:
    """Configure logging and tracing, then serve the app until SIGTERM or SIGINT."""
    configure_logging(settings.log_format, settings.log_level)
    configure_tracing(
        f"palermo-{settings.service_name}",
        otlp_endpoint=settings.otel_exporter_otlp_endpoint,
    )
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        timeout_graceful_shutdown=int(SHUTDOWN_GRACE_SECONDS),
    )
