"""The plausibility bounds of the dates that requests carry."""

import datetime as dt

import pytest
from pydantic import BaseModel, ValidationError

from palermo_shared import dates
from palermo_shared.dates import CountDate, MechanismDate, PastDate

NOW = dt.datetime(2026, 6, 15, 23, 30, tzinfo=dt.UTC)


class Dated(BaseModel):
    past: PastDate | None = None
    mechanism: MechanismDate | None = None
    count: CountDate | None = None


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "utcnow", lambda: NOW)


@pytest.mark.parametrize(
    ("field", "day"),
    [
        ("past", "2000-11-15"),
        ("past", "2026-06-16"),
        ("mechanism", "2000-11-15"),
        ("mechanism", "2027-06-16"),
        ("count", "2003-09-29"),
        ("count", "2027-06-16"),
    ],
)
def test_date_on_bound_accepted(field: str, day: str) -> None:
    dated = Dated.model_validate({field: day})

    assert getattr(dated, field) == dt.date.fromisoformat(day)


@pytest.mark.parametrize(
    ("field", "day", "message"),
    [
        ("past", "2000-11-14", "before 2000-11-15, when the Convention was adopted"),
        (
            "past",
            "2026-06-17",
            "invalid date 2026-06-17: it is after 2026-06-16, the latest date accepted",
        ),
        ("mechanism", "0001-01-01", "before 2000-11-15"),
        ("mechanism", "2027-06-17", "more than a year ahead (latest 2027-06-16)"),
        ("count", "2003-09-28", "before 2003-09-29, when the Convention entered"),
        ("count", "9999-12-31", "more than a year ahead"),
    ],
)
def test_date_out_of_bounds_rejected(field: str, day: str, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Dated.model_validate({field: day})

    [error] = raised.value.errors()
    assert error["loc"] == (field,)
    assert message in error["msg"]
