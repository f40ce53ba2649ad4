import datetime as dt


def utcnow() -> dt.datetime:
    """Return the current time in UTC, timezone-aware as the tables require."""
    return dt.datetime.now(dt.UTC)
