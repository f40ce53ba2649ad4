"""Feeding the dashboard projection from every domain topic, from the start."""

import asyncio

from palermo_gateway.dashboard.projection import DashboardProjection
from palermo_gateway.reading import read_domain_topics
from palermo_shared.bus import Bus
from palermo_shared.reference.states import load_states


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
        await read_domain_topics(
            self._bus, "dashboard", self.ready, self._projection.apply
        )


def reference_regional_groups() -> dict[str, str | None]:
    """Return the UN regional group of every entity in the reference data."""
    return {iso3: state.regional_group for iso3, state in load_states().items()}
