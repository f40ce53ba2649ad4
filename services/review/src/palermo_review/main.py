"""Review service: desk reviews, from the draw and the questionnaire to the outcome."""

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI

from palermo_review.accounts import preload_accounts
from palermo_review.api import dialogue, outcome, participants, reviews, secretariat
from palermo_review.clock import Clock, system_clock
from palermo_review.consumers import (
    account_activated,
    account_ended,
    lots_drawn,
    lots_redrawn,
    questionnaire_submitted,
)
from palermo_review.deadlines import run_periodic_check
from palermo_review.opening import preload_reviews
from palermo_review.settings import ReviewSettings
from palermo_review.tables import MODELS
from palermo_shared.bus import Bus
from palermo_shared.contracts import (
    AccountActivated,
    AccountEnded,
    LotsDrawn,
    LotsRedrawn,
    QuestionnaireSubmitted,
)
from palermo_shared.events import TOPIC_DRAW, TOPIC_GATEWAY, TOPIC_QUESTIONNAIRE
from palermo_shared.inbox import Handler
from palermo_shared.service import ConsumerSpec, ServiceRuntime, create_service_app


def create_app(
    settings: ReviewSettings | None = None,
    bus: Bus | None = None,
    *,
    clock: Clock = system_clock,
) -> FastAPI:
    """Build the app; tests pass a `clock` to move the service's time."""
    settings = settings or ReviewSettings()
    runtime = ServiceRuntime(
        settings,
        bus or settings.build_bus(),
        MODELS,
        _consumer_spec(clock),
        migrations=Path(__file__).parent / "migrations",
    )
    routers = [
        reviews.router,
        participants.router,
        outcome.router,
        dialogue.router,
        secretariat.router,
    ]
    app = create_service_app(runtime, routers, title="Palermo review service")
    app.state.clock = clock
    _run_deadline_checks_with_app(app, runtime, settings, clock)
    return app


def _consumer_spec(clock: Clock) -> ConsumerSpec:
    """Return the handlers of the review inputs and of the account events."""
    review_modules = {
        LotsDrawn.event_type: lots_drawn,
        LotsRedrawn.event_type: lots_redrawn,
        QuestionnaireSubmitted.event_type: questionnaire_submitted,
    }
    account_modules = {
        AccountActivated.event_type: account_activated,
        AccountEnded.event_type: account_ended,
    }
    handlers: dict[str, Handler] = {
        event_type: functools.partial(module.handle, clock=clock)
        for event_type, module in review_modules.items()
    }
    handlers.update(
        {event_type: module.handle for event_type, module in account_modules.items()}
    )
    return ConsumerSpec(
        handlers=handlers,
        topics=[TOPIC_DRAW, TOPIC_QUESTIONNAIRE, TOPIC_GATEWAY],
        preloaders={
            **dict.fromkeys(review_modules, preload_reviews),
            **dict.fromkeys(account_modules, preload_accounts),
        },
    )


def _run_deadline_checks_with_app(
    app: FastAPI, runtime: ServiceRuntime, settings: ReviewSettings, clock: Clock
) -> None:
    """Run the periodic deadline check inside the runtime's lifespan."""
    service_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_lifespan(app):
            task = asyncio.create_task(
                run_periodic_check(runtime, settings, clock), name="review-deadlines"
            )
            try:
                yield
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    app.router.lifespan_context = lifespan
