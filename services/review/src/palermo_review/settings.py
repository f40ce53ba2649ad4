import datetime as dt
from typing import ClassVar

from pydantic import Field

from palermo_shared.settings import ServiceSettings


class ReviewSettings(ServiceSettings):
    """Settings of the review service; durations are in days.

    The stage deadlines count from the review's start (the lots drawn),
    except the reviewers' feedback, which counts from the day they had both
    the lots and the questionnaire responses.
    """

    service_name: ClassVar[str] = "review"

    focal_points_due_days: int = Field(default=14, ge=1)
    experts_due_days: int = Field(default=28, ge=1)
    questionnaire_due_days: int = Field(default=183, ge=1)
    feedback_due_days: int = Field(default=183, ge=1)
    comment_period_days: int = Field(default=28, ge=1)
    reminder_lead_days: int = Field(default=7, ge=0)
    deadline_check_interval_seconds: float = Field(default=3600.0, gt=0)
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    attachment_content_types: tuple[str, ...] = (
        "application/pdf",
        "text/plain",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.oasis.opendocument.text",
        "image/png",
        "image/jpeg",
    )

    @property
    def comment_period(self) -> dt.timedelta:
        return dt.timedelta(days=self.comment_period_days)
