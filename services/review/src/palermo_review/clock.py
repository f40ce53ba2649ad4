"""The review service's notion of now, injectable so tests can move time."""

import datetime as dt
from collections.abc import Callable

from palermo_shared.clock import utcnow

Clock = Callable[[], dt.datetime]

system_clock: Clock = utcnow


def aware(value: dt.datetime) -> dt.datetime:
    """Return `value` in UTC; SQLite hands stored datetimes back without a zone."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)
