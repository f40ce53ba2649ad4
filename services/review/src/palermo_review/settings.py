import datetime as dt
from typing import ClassVar

from palermo_shared.settings import ServiceSettings


class ReviewSettings(ServiceSettings):
    """Settings of the review service; durations are in days.

    The stage deadlines count from the review's start (the lots drawn),
    except the reviewers' feedback, which counts from the day they had both
    the lots and the questionnaire responses.
    """

    service_name: ClassVar[str] = "review"

    focal_points_due_days: int = 14
    experts_due_days: int = 28
    questionnaire_due_days: int = 183
    feedback_due_days: int = 183
    comment_period_days: int = 28
    reminder_lead_days: int = 7
    deadline_check_interval_seconds: float = 3600.0
    attachment_max_bytes: int = 10 * 1024 * 1024
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
