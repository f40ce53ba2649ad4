"""Draw service: the States-parties registry, review phases and the drawing of lots."""

from pathlib import Path

from fastapi import FastAPI

from palermo_draw.api import cohorts, registry, routes
from palermo_draw.settings import DrawSettings
from palermo_draw.tables import MODELS
from palermo_shared.bus import Bus
from palermo_shared.service import ServiceRuntime, create_service_app


def create_app(settings: DrawSettings | None = None, bus: Bus | None = None) -> FastAPI:
    settings = settings or DrawSettings()
    runtime = ServiceRuntime(
        settings,
        bus or settings.build_bus(),
        MODELS,
        migrations=Path(__file__).parent / "migrations",
    )
    routers = [registry.router, routes.router, cohorts.router]
    return create_service_app(runtime, routers, title="Palermo draw service")
