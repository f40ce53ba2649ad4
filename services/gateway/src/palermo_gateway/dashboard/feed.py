"""Feeding the dashboard projection from every domain topic, from the start."""

import asyncio
import logging
import uuid

from palermo_gateway.dashboard.projection import DashboardProjection
from palermo_shared.bus import Bus
from palermo_shared.events import DOMAIN_TOPICS, EventDecodeError, decode
from palermo_shared.reference.states import load_states
from palermo_shared.retry import retry_until_done

logger = logging.getLogger(__name__)


class DashboardFeed:
    """Reader of every domain topic into the projection, as a group of its own.

    The group is new at each start, so the projection is rebuilt from the
    earliest offset kept by the broker and nothing is committed.
    """

    def __init__(self, bus: Bus, projection: DashboardProjection) -> None:
        self._bus = bus
        self._projection = projection
        self.ready = asyncio.Event()

    async def run(self) -> None:
        group = f"gateway-dashboard-{uuid.uuid4()}"
        subscription = self._bus.subscription(DOMAIN_TOPICS, group=group)
        await retry_until_done(
            self._bus.prepare, description="dashboard: preparing the bus"
        )
        await retry_until_done(
            subscription.start, description="dashboard: joining the broker"
        )
        self.ready.set()
        logger.info("dashboard reading %s as %s", ", ".join(DOMAIN_TOPICS), group)
        try:
            while True:
                batch = await subscription.fetch(max_records=1000, timeout=1.0)
                for delivery in batch:
                    self._apply(delivery.value)
        finally:
            await subscription.stop()

    def _apply(self, raw: bytes | None) -> None:
        try:
            envelope = decode(raw)
        except EventDecodeError as error:
            # The service consumers dead-letter malformed messages.
            logger.warning("dashboard skipped a malformed message: %s", error)
            return
        self._projection.apply(envelope)


def reference_regional_groups() -> dict[str, str | None]:
    """Return the UN regional group of every entity in the reference data."""
    return {iso3: state.regional_group for iso3, state in load_states().items()}
