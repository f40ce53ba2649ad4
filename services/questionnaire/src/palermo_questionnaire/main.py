"""Questionnaire service: self-assessment questionnaires and the States' responses."""

from pathlib import Path

from fastapi import FastAPI

from palermo_questionnaire.api import documents, routes, secretariat
from palermo_questionnaire.consumers import review_phase_opened
from palermo_questionnaire.settings import QuestionnaireSettings
from palermo_questionnaire.tables import MODELS
from palermo_shared.assignments import LOTS_HANDLERS, LOTS_PRELOADERS
from palermo_shared.bus import Bus
from palermo_shared.contracts import ReviewPhaseOpened
from palermo_shared.events import TOPIC_DRAW
from palermo_shared.service import ConsumerSpec, ServiceRuntime, create_service_app


def create_app(
    settings: QuestionnaireSettings | None = None, bus: Bus | None = None
) -> FastAPI:
    settings = settings or QuestionnaireSettings()
    on_phase_opened = review_phase_opened.handler(settings.questionnaire_version)
    consumers = ConsumerSpec(
        handlers={ReviewPhaseOpened.event_type: on_phase_opened, **LOTS_HANDLERS},
        topics=[TOPIC_DRAW],
        preloaders=LOTS_PRELOADERS,
    )
    runtime = ServiceRuntime(
        settings,
        bus or settings.build_bus(),
        MODELS,
        consumers,
        migrations=Path(__file__).parent / "migrations",
    )
    app = create_service_app(
        runtime,
        [routes.router, documents.router, secretariat.router],
        title="Palermo questionnaire service",
    )
    app.state.settings = settings
    return app
