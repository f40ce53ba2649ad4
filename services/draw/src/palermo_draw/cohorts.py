"""Drawing the yearly cohorts of States that start their review together."""

import datetime as dt
import logging

from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_draw.domain.cohorts import draw_cohorts
from palermo_draw.domain.model import RULESET_VERSION, Party
from palermo_draw.phases import SOURCE
from palermo_draw.registry import registry_at
from palermo_draw.tables import CohortDraw
from palermo_shared.clock import utcnow
from palermo_shared.contracts.draw import CohortsDrawn
from palermo_shared.errors import NotFound
from palermo_shared.events import new_event
from palermo_shared.ids import new_id
from palermo_shared.outbox import record_event
from palermo_shared.reference.instruments import Instrument

logger = logging.getLogger(__name__)


async def draw_and_store(
    session: AsyncSession, *, seed: str, count: int, draw_date: dt.date
) -> CohortDraw:
    """Deal the parties to the Convention on `draw_date` into `count` cohorts."""
    registry = await registry_at(session, draw_date)
    parties = [
        Party(s.iso3, s.regional_group, s.legal_system)
        for s in registry.values()
        if s.party_to(Instrument.CONVENTION, draw_date)
    ]
    result = draw_cohorts(parties, count=count, seed=seed)

    cohort_draw = CohortDraw(
        id=new_id(),
        seed=seed,
        count=count,
        draw_date=draw_date,
        ruleset_version=RULESET_VERSION,
        cohorts=[list(c) for c in result.cohorts],
        not_assigned=[list(n) for n in result.not_assigned],
        drawn_at=utcnow(),
    )
    session.add(cohort_draw)
    payload = CohortsDrawn(
        cohort_draw_id=cohort_draw.id,
        seed=seed,
        draw_date=draw_date,
        cohorts=cohort_draw.cohorts,
        not_assigned=dict(result.not_assigned),
    )
    subject = f"cohorts/{cohort_draw.id}"
    record_event(session, new_event(payload, source=SOURCE, subject=subject))
    logger.info("Drew %d cohorts %s with seed %r", count, cohort_draw.id, seed)
    return cohort_draw


async def get_cohort_draw(session: AsyncSession, cohort_draw_id: str) -> CohortDraw:
    cohort_draw = await session.get(CohortDraw, cohort_draw_id)
    if cohort_draw is None:
        raise NotFound(f"cohort draw {cohort_draw_id} not found")
    return cohort_draw
