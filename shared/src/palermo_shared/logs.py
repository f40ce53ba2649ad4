"""Logging set-up for entry points: JSON in containers, text on a terminal.

Every record carries the current trace id and request id, so a log line can
be joined to its trace and to the response that names the request id. Library
modules only call `logging.getLogger(__name__)`.
"""

import logging
import sys
from typing import Literal

from pythonjsonlogger.json import JsonFormatter

from palermo_shared.request_id import current_request_id
from palermo_shared.telemetry import current_trace_id

LogFormat = Literal["json", "text"]


class TraceIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.trace_id = current_trace_id() or "-"
        return True


class RequestIdFilter(logging.Filter):
    """Filter that sets `request_id` on every record ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


def configure_logging(log_format: LogFormat = "text", level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(TraceIdFilter())
    handler.addFilter(RequestIdFilter())
    if log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(trace_id)s "
                "%(request_id)s",
                rename_fields={"asctime": "time", "levelname": "level"},
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter(
                "%(asctime)s %(levelname)-7s %(name)s [trace %(trace_id)s "
                "request %(request_id)s] %(message)s"
            )
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
