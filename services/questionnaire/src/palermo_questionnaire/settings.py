from typing import ClassVar

from palermo_shared.settings import ServiceSettings


class QuestionnaireSettings(ServiceSettings):
    service_name: ClassVar[str] = "questionnaire"
