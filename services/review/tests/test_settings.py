"""Review settings read from the environment."""

import pytest

from palermo_review.settings import ReviewSettings
from tests.support.settings import invalid_report


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("FOCAL_POINTS_DUE_DAYS", "-5"),
        ("COMMENT_PERIOD_DAYS", "0"),
        ("DEADLINE_CHECK_INTERVAL_SECONDS", "0"),
        ("ATTACHMENT_MAX_BYTES", "-1"),
    ],
)
def test_out_of_range_value_rejected(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    report = invalid_report(ReviewSettings, monkeypatch, variable, value)

    assert f"  {variable}={value!r}: " in report
