import datetime as dt


def utcnow() -> dt.datetime:
    """Return the current time in UTC, timezone-aware as the tables require."""
    return dt.datetime.now(dt.UTC)


def aware(value: dt.datetime) -> dt.datetime:
    """Return `value` in UTC; SQLite hands stored datetimes back without a zone."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)
