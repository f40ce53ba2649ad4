from typing import ClassVar

from palermo_shared.settings import ServiceSettings


class DrawSettings(ServiceSettings):
    service_name: ClassVar[str] = "draw"
