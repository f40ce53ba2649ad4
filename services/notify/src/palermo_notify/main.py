"""Notify service: notifications to States' focal points and their delivery log."""

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI

from palermo_notify.api import contacts, routes
from palermo_notify.consumers import consumer_spec
from palermo_notify.delivery import DeliveryWorker
from palermo_notify.email_sender import EmailSender
from palermo_notify.sending import Sender
from palermo_notify.settings import NotifySettings
from palermo_notify.tables import MODELS
from palermo_notify.webhook_sender import WebhookSender
from palermo_shared.bus import Bus
from palermo_shared.service import ServiceRuntime, create_service_app


def create_app(
    settings: NotifySettings | None = None, bus: Bus | None = None
) -> FastAPI:
    settings = settings or NotifySettings()
    runtime = ServiceRuntime(
        settings,
        bus or settings.build_bus(),
        MODELS,
        consumer_spec(settings),
        migrations=Path(__file__).parent / "migrations",
    )
    app = create_service_app(
        runtime, [routes.router, contacts.router], title="Palermo notify service"
    )
    senders: list[Sender] = [WebhookSender(runtime, settings), EmailSender(settings)]
    app.state.delivery = DeliveryWorker(runtime, settings, senders)
    _run_delivery_with_app(app)
    return app


def _run_delivery_with_app(app: FastAPI) -> None:
    """Start delivery after the runtime and stop it before the runtime.

    The delivery worker needs the runtime's database and outbox, so it runs
    inside the lifespan that `create_service_app` installed.
    """
    service_lifespan = app.router.lifespan_context
    delivery: DeliveryWorker = app.state.delivery

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_lifespan(app):
            await delivery.start()
            try:
                yield
            finally:
                await delivery.stop()

    app.router.lifespan_context = lifespan
