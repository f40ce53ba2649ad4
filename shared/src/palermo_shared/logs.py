"""Logging set-up for entry points: JSON in containers, text on a terminal.

Every record carries the current trace id and request id, so a log line can
be joined to its trace and to the response that names the request id. Library
modules only call `logging.getLogger(__name__)`.
"""

import logging
import sys
import time
from collections.abc import Callable
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


class RepeatFilter(logging.Filter):
    """Filter that lets through one record a minute of each repeated message
    of the Kafka client.

    While the broker is away, aiokafka logs each failed connection and
    commit, about ten ERROR lines a second for each client, which would
    bury every other line. The first record of a message passes. The
    others within the next `window` seconds are only counted, and the first
    record after that window carries the count.
    """

    def __init__(
        self,
        window: float = 60.0,
        *,
        prefixes: tuple[str, ...] = ("aiokafka",),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._window = window
        self._prefixes = prefixes
        self._clock = clock
        # Per message: when it last passed, and how many were left out since.
        self._seen: dict[tuple[str, int, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self._prefixes):
            return True

        key = (record.name, record.levelno, str(record.msg))
        now = self._clock()
        passed_at, left_out = self._seen.get(key, (-self._window, 0))
        if now - passed_at < self._window:
            self._seen[key] = (passed_at, left_out + 1)
            return False

        self._seen[key] = (now, 0)
        if left_out:
            record.msg = (
                f"{record.msg} ({left_out} more like this left out in the last "
                f"{self._window:.0f} s)"
            )
        return True


def configure_logging(log_format: LogFormat = "text", level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RepeatFilter())
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
