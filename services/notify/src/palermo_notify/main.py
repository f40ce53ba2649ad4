"""Notify service: notifications to States' focal points and their delivery log."""

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from palermo_notify.api.routes import router
from palermo_notify.consumers import consumer_spec
from palermo_notify.delivery import WebhookDelivery
from palermo_notify.settings import NotifySettings
from palermo_notify.tables import MODELS
from palermo_shared.bus import Bus
from palermo_shared.service import ServiceRuntime, create_service_app


def create_app(
    settings: NotifySettings | None = None, bus: Bus | None = None
) -> FastAPI:
    settings = settings or NotifySettings()
    runtime = ServiceRuntime(
        settings, bus or settings.build_bus(), MODELS, consumer_spec()
    )
    app = create_service_app(runtime, [router], title="Palermo notify service")
    app.state.webhook_delivery = WebhookDelivery(runtime, settings)
    _run_delivery_with_app(app)
    return app


def _run_delivery_with_app(app: FastAPI) -> None:
    """Start webhook delivery after the runtime and stop it before the runtime.

    The delivery worker needs the runtime's database and outbox, so it runs
    inside the lifespan that `create_service_app` installed.
    """
    service_lifespan = app.router.lifespan_context
    delivery: WebhookDelivery = app.state.webhook_delivery

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_lifespan(app):
            delivery.start()
            try:
                yield
            finally:
                await delivery.stop()

    app.router.lifespan_context = lifespan
