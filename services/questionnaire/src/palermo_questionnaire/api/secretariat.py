"""The Secretariat's cross-State view of difficulties, good practices and needs."""

from typing import Annotated

from fastapi import APIRouter, Query

from palermo_questionnaire import overview
from palermo_questionnaire.api.keys import Runtime
from palermo_questionnaire.api.schemas import (
    NeedPublic,
    OverviewGroup,
    OverviewPublic,
    StatementPublic,
)
from palermo_shared.auth import SECRETARIAT_ONLY
from palermo_shared.db import MAX_STORED_INT
from palermo_shared.reference.instruments import Cluster, Instrument
from palermo_shared.text import SingleLineText

router = APIRouter(dependencies=[SECRETARIAT_ONLY])


@router.get("/phases/{phase_id}/overview", response_model=OverviewPublic)
async def phase_overview(
    phase_id: str,
    runtime: Runtime,
    instrument: Instrument | None = None,
    cluster: Cluster | None = None,
    article: Annotated[int | None, Query(ge=1, le=MAX_STORED_INT)] = None,
    regional_group: Annotated[
        SingleLineText | None,
        Query(
            description="UN regional group as the registry names it, such as "
            f"African, or {overview.NO_REGIONAL_GROUP!r} for the States of none"
        ),
    ] = None,
) -> OverviewPublic:
    """Aggregate the latest submitted versions by instrument, cluster, article and
    regional group. States are listed by code; nothing is scored or ranked."""
    if regional_group is not None:
        overview.check_regional_group(regional_group)
    async with runtime.session() as session:
        groups = await overview.phase_overview(session, phase_id, instrument, cluster)
    selected = [
        OverviewGroup(
            instrument=Instrument(key[0]),
            cluster=Cluster(key[1]),
            article=key[2],
            regional_group=key[3],
            responses=group.responses,
            difficulties=[StatementPublic(**s) for s in group.difficulties],
            good_practices=[StatementPublic(**s) for s in group.good_practices],
            assistance_needs=[NeedPublic(**n) for n in group.assistance_needs],
            assistance_needs_by_type=group.needs_by_type(),
        )
        for key, group in groups.items()
        if article in (None, key[2]) and regional_group in (None, key[3])
    ]
    return OverviewPublic(phase_id=phase_id, groups=selected)
