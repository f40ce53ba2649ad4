"""Checks of the dates that requests carry.

A date outside the mechanism's time, such as 0001-01-01 or 9999-12-31, is a
typing mistake. Stored, it would be shown in the records for good.
"""

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator

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


# A day that has come: a meeting held, a decision taken, a document received.
PastDate = Annotated[dt.date, AfterValidator(past_date)]

# A day of the mechanism's time, from the Convention's adoption to a year
# ahead: a due date, a registry change, a meeting checked against a service's
# own clock.
MechanismDate = Annotated[dt.date, AfterValidator(mechanism_date)]

# The day on which the parties to an instrument are counted for a draw.
CountDate = Annotated[dt.date, AfterValidator(count_date)]
