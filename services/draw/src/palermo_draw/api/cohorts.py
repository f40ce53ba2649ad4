"""Routes of the cohort draw: which States start their review in which year."""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, status

from palermo_draw import cohorts
from palermo_draw.api.schemas import CohortCreate, CohortDrawPublic
from palermo_draw.tables import CohortDraw
from palermo_shared.auth import AUTHENTICATED, SECRETARIAT_ONLY
from palermo_shared.service import ServiceRuntime, runtime_of

router = APIRouter(dependencies=[AUTHENTICATED])
Runtime = Annotated[ServiceRuntime, Depends(runtime_of)]


def _public(cohort_draw: CohortDraw) -> CohortDrawPublic:
    return CohortDrawPublic(
        id=cohort_draw.id,
        seed=cohort_draw.seed,
        count=cohort_draw.count,
        draw_date=cohort_draw.draw_date,
        ruleset_version=cohort_draw.ruleset_version,
        cohorts=cohort_draw.cohorts,
        not_assigned=dict(cohort_draw.not_assigned),
        drawn_at=cohort_draw.drawn_at,
    )


@router.post(
    "/cohorts",
    response_model=CohortDrawPublic,
    status_code=status.HTTP_201_CREATED,
    dependencies=[SECRETARIAT_ONLY],
)
async def draw_cohorts(body: CohortCreate, runtime: Runtime) -> CohortDrawPublic:
    async with runtime.transaction() as session:
        cohort_draw = await cohorts.draw_and_store(
            session,
            seed=body.seed,
            count=body.count,
            draw_date=body.draw_date or dt.date.today(),
        )
    return _public(cohort_draw)


@router.get("/cohorts/{cohort_draw_id}", response_model=CohortDrawPublic)
async def get_cohorts(cohort_draw_id: str, runtime: Runtime) -> CohortDrawPublic:
    async with runtime.session() as session:
        cohort_draw = await cohorts.get_cohort_draw(session, cohort_draw_id)
    return _public(cohort_draw)
