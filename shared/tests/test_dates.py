"""The plausibility bounds of the dates that requests carry."""

import datetime as dt

import pytest
from pydantic import BaseModel, ValidationError

from palermo_shared import dates
from palermo_shared.dates import (
    CountDate,
    IsoDate,
    IsoDatetime,
    MechanismDate,
    PastDate,
)

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


class Stamped(BaseModel):
    day: IsoDate | None = None
    moment: IsoDatetime | None = None


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (20260301, "20260301 (a JSON number)"),
        (1.5, "1.5 (a JSON number)"),
        (True, "True (a JSON boolean)"),
        ([2026, 3, 1], "(a JSON array)"),
        ({"year": 2026}, "(a JSON object)"),
        ("20260301", "'20260301'"),
        ("1 March 2026", "'1 March 2026'"),
        ("2" * 50, f"'{'2' * 40}'..."),
    ],
)
def test_date_not_iso_text_rejected(value: object, shown: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Stamped.model_validate({"day": value})

    message = raised.value.errors()[0]["msg"]
    assert f"invalid date {shown}: " in message
    assert "expected a date as text in the form YYYY-MM-DD" in message


@pytest.mark.parametrize("value", [1772323200, "1772323200", False])
def test_datetime_not_iso_text_rejected(value: object) -> None:
    with pytest.raises(ValidationError) as raised:
        Stamped.model_validate({"moment": value})

    message = raised.value.errors()[0]["msg"]
    assert "invalid date and time" in message
    assert "expected ISO 8601 text" in message


def test_iso_text_and_objects_accepted() -> None:
    moment = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)

    from_text = Stamped.model_validate(
        {"day": "2026-03-01", "moment": "2026-03-01T09:30:00Z"}
    )
    from_objects = Stamped(day=dt.date(2026, 3, 1), moment=moment)

    assert from_text == from_objects
    assert from_text.moment == moment
