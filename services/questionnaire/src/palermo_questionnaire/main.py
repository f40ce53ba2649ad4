"""Questionnaire service: self-assessment questionnaires and the States' responses."""

from fastapi import FastAPI

from palermo_questionnaire.api.routes import router
from palermo_questionnaire.consumers import review_phase_opened
from palermo_questionnaire.settings import QuestionnaireSettings
from palermo_questionnaire.tables import MODELS
from palermo_shared.bus import Bus
from palermo_shared.contracts import ReviewPhaseOpened
from palermo_shared.events import TOPIC_DRAW
from palermo_shared.service import ConsumerSpec, ServiceRuntime, create_service_app


def create_app(
    settings: QuestionnaireSettings | None = None, bus: Bus | None = None
) -> FastAPI:
    settings = settings or QuestionnaireSettings()
    consumers = ConsumerSpec(
        handlers={ReviewPhaseOpened.event_type: review_phase_opened.handle},
        topics=[TOPIC_DRAW],
    )
    runtime = ServiceRuntime(settings, bus or settings.build_bus(), MODELS, consumers)
    return create_service_app(runtime, [router], title="Palermo questionnaire service")
