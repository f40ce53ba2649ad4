"""Review service: desk reviews, from the draw and the questionnaire to the outcome."""

from pathlib import Path

from fastapi import FastAPI

from palermo_review.api.routes import router
from palermo_review.consumers import lots_drawn, lots_redrawn, questionnaire_submitted
from palermo_review.settings import ReviewSettings
from palermo_review.tables import MODELS
from palermo_shared.bus import Bus
from palermo_shared.contracts import LotsDrawn, LotsRedrawn, QuestionnaireSubmitted
from palermo_shared.events import TOPIC_DRAW, TOPIC_QUESTIONNAIRE
from palermo_shared.service import ConsumerSpec, ServiceRuntime, create_service_app


def create_app(
    settings: ReviewSettings | None = None, bus: Bus | None = None
) -> FastAPI:
    settings = settings or ReviewSettings()
    consumers = ConsumerSpec(
        handlers={
            LotsDrawn.event_type: lots_drawn.handle,
            LotsRedrawn.event_type: lots_redrawn.handle,
            QuestionnaireSubmitted.event_type: questionnaire_submitted.handle,
        },
        topics=[TOPIC_DRAW, TOPIC_QUESTIONNAIRE],
    )
    runtime = ServiceRuntime(
        settings,
        bus or settings.build_bus(),
        MODELS,
        consumers,
        migrations=Path(__file__).parent / "migrations",
    )
    return create_service_app(runtime, [router], title="Palermo review service")
