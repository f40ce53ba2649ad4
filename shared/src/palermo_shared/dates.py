"""Checks of the dates that requests carry.

Every date and datetime a request carries is ISO 8601 text. Pydantic would
also read a JSON number as seconds since the epoch, so 20260301 would name
a moment in 1970 or be rejected with a message about "zero time".
Annotate each such field with `IsoDate` or `IsoDatetime` (or a type built
on them) to reject anything else with the form expected.

A date outside the mechanism's time, such as 0001-01-01 or 9999-12-31, is a
typing mistake. Stored, it would be shown in the records for good.
"""

import datetime as dt
import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator

from palermo_shared.clock import utcnow

# The General Assembly adopted the Convention on 15 November 2000
# (resolution 55/25). Nothing the mechanism records happened before.
CONVENTION_ADOPTED = dt.date(2000, 11, 15)

# The Convention entered into force on 29 September 2003. No State was a
# party before that day.
CONVENTION_IN_FORCE = dt.date(2003, 9, 29)

# How far ahead a date may lie. Draws, due dates and registry changes are
# planned months ahead, not years.
PLANNING_HORIZON = dt.timedelta(days=366)

# A day of margin for dates written in time zones ahead of UTC.
_TIME_ZONE_MARGIN = dt.timedelta(days=1)


# A date is the whole text. A datetime starts with the date, and pydantic
# parses the rest, so a number written in a query string is still rejected.
_DATE_TEXT = re.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_EXAMPLE = "2026-03-01"
_DATETIME_EXAMPLE = "2026-03-01T09:30:00Z"

# The JSON type of a value that FastAPI decoded from a request body.
_JSON_TYPES = {bool: "boolean", int: "number", float: "number", list: "array"}


def date_text(value: object) -> object:
    """Return `value` if it is a date or ISO 8601 date text, else raise `ValueError`.

    Objects of `datetime.date` pass, for bodies that code builds itself.
    """
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _DATE_TEXT.fullmatch(value):
        return value
    raise ValueError(
        f"invalid date {_shown(value)}: expected a date as text in the form "
        f"YYYY-MM-DD, such as {_DATE_EXAMPLE!r}"
    )


def datetime_text(value: object) -> object:
    """Return `value` if it is a datetime or ISO 8601 text, else raise `ValueError`."""
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _DATE_TEXT.match(value):
        return value
    raise ValueError(
        f"invalid date and time {_shown(value)}: expected ISO 8601 text in the "
        f"form YYYY-MM-DDTHH:MM:SS with a UTC offset, such as {_DATETIME_EXAMPLE!r}"
    )


# Longer text is cut in messages, because no date is that long.
_SHOWN_LENGTH = 40


def _shown(value: object) -> str:
    """Return `value` as a message quotes it: text cut short, and only the
    type of an array or object, which may be large."""
    if isinstance(value, str):
        cut = "..." if len(value) > _SHOWN_LENGTH else ""
        return f"{value[:_SHOWN_LENGTH]!r}{cut}"
    json_type = _JSON_TYPES.get(type(value), "object")
    if isinstance(value, bool | int | float):
        return f"{value!r} (a JSON {json_type})"
    return f"(a JSON {json_type})"


def _today() -> dt.date:
    return utcnow().date()


def past_date(day: dt.date) -> dt.date:
    """Return `day`, or raise `ValueError` if it is before the Convention's
    adoption or after tomorrow (UTC)."""
    _check_adopted(day)
    latest = _today() + _TIME_ZONE_MARGIN
    if day > latest:
        raise ValueError(
            f"invalid date {day}: it is after {latest}, the latest date "
            "accepted. Only a date that has come can be recorded, and "
            f"{latest} has already come in time zones ahead of UTC"
        )
    return day


def mechanism_date(day: dt.date) -> dt.date:
    """Return `day`, or raise `ValueError` if it is before the Convention's
    adoption or more than a year ahead."""
    _check_adopted(day)
    _check_horizon(day)
    return day


def count_date(day: dt.date) -> dt.date:
    """Return `day`, or raise `ValueError` if it is before the Convention's
    entry into force or more than a year ahead."""
    if day < CONVENTION_IN_FORCE:
        raise ValueError(
            f"invalid date {day}: it is before {CONVENTION_IN_FORCE}, when the "
            "Convention entered into force, so no State was a party to count"
        )
    _check_horizon(day)
    return day


def _check_adopted(day: dt.date) -> None:
    if day < CONVENTION_ADOPTED:
        raise ValueError(
            f"invalid date {day}: it is before {CONVENTION_ADOPTED}, when the "
            "Convention was adopted"
        )


def _check_horizon(day: dt.date) -> None:
    latest = _today() + PLANNING_HORIZON
    if day > latest:
        raise ValueError(
            f"invalid date {day}: it is more than a year ahead (latest {latest})"
        )


# Annotations of a date, or a date and time, sent as ISO 8601 text.
DATE_TEXT = BeforeValidator(date_text)
DATETIME_TEXT = BeforeValidator(datetime_text)

IsoDate = Annotated[dt.date, DATE_TEXT]
IsoDatetime = Annotated[dt.datetime, DATETIME_TEXT]

# A day that has come: a meeting held, a decision taken, a document received.
PastDate = Annotated[IsoDate, AfterValidator(past_date)]

# A day of the mechanism's time, from the Convention's adoption to a year
# ahead: a due date, a registry change, a meeting checked against a service's
# own clock.
MechanismDate = Annotated[IsoDate, AfterValidator(mechanism_date)]

# The day on which the parties to an instrument are counted for a draw.
CountDate = Annotated[IsoDate, AfterValidator(count_date)]
