from typing import ClassVar

from pydantic import Field

from palermo_questionnaire.domain.forms import LATEST_VERSION, SECTION_BUILDERS
from palermo_shared.settings import ServiceSettings


class QuestionnaireSettings(ServiceSettings):
    """Settings of the questionnaire service; environment variables use field names."""

    service_name: ClassVar[str] = "questionnaire"

    questionnaire_version: int = Field(
        default=LATEST_VERSION,
        ge=min(SECTION_BUILDERS),
        le=max(SECTION_BUILDERS),
        description="Questionnaire version published for new review phases",
    )
    attachment_max_bytes: int = Field(
        default=10 * 1024 * 1024, gt=0, description="Largest attachment, in bytes"
    )
    attachment_content_types: frozenset[str] = Field(
        default=frozenset(
            {
                "application/pdf",
                "application/msword",
                "application/vnd.openxmlformats-officedocument"
                ".wordprocessingml.document",
                "application/vnd.oasis.opendocument.text",
                "application/vnd.ms-excel",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "application/vnd.oasis.opendocument.spreadsheet",
                "text/plain",
                "text/csv",
                "image/png",
                "image/jpeg",
            }
        ),
        description="Media types accepted for attachments",
    )
