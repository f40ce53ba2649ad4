from typing import ClassVar

from palermo_shared.settings import ServiceSettings


class ReviewSettings(ServiceSettings):
    service_name: ClassVar[str] = "review"
