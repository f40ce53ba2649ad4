"""The Secretariat's cross-State view, read from the latest submitted versions."""

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_questionnaire.domain.forms import questionnaire_for
from palermo_questionnaire.domain.overview import (
    ArticleGroup,
    GroupKey,
    SubmittedAnswers,
    aggregate,
)
from palermo_questionnaire.responses import get_scope
from palermo_questionnaire.tables import Response, ResponseVersion
from palermo_shared.errors import InvalidInput
from palermo_shared.reference.instruments import Cluster, Instrument
from palermo_shared.reference.states import load_states

NO_REGIONAL_GROUP = "none"


def check_regional_group(name: str) -> None:
    """Raise `InvalidInput` unless `name` is a regional group of the registry
    or `NO_REGIONAL_GROUP`."""
    known = {s.regional_group for s in load_states().values() if s.regional_group}
    if name == NO_REGIONAL_GROUP or name in known:
        return

    expected = ", ".join(sorted(known))
    raise InvalidInput(
        f"unknown regional group {name!r}; expected one of {expected}, "
        f"or {NO_REGIONAL_GROUP!r} for the States of no group",
        field="regional_group",
    )


async def phase_overview(
    session: AsyncSession,
    phase_id: str,
    instrument: Instrument | None = None,
    cluster: Cluster | None = None,
) -> dict[GroupKey, ArticleGroup]:
    scope = await get_scope(session, phase_id)
    registry = load_states()
    submissions = []
    for response, version in await _latest_versions(
        session, phase_id, instrument, cluster
    ):
        state = registry[response.state]
        form = questionnaire_for(
            Instrument(response.instrument),
            Cluster(response.cluster),
            party_to_uncac=state.party_to_uncac(scope.draw_date),
            version=response.questionnaire_version,
        )
        submissions.append(
            SubmittedAnswers(
                state=state.iso3,
                state_name=state.name,
                regional_group=state.regional_group or NO_REGIONAL_GROUP,
                questionnaire=form,
                answers=version.answers,
            )
        )
    return aggregate(submissions)


async def _latest_versions(
    session: AsyncSession,
    phase_id: str,
    instrument: Instrument | None,
    cluster: Cluster | None,
) -> list[tuple[Response, ResponseVersion]]:
    latest = (
        select(
            ResponseVersion.response_id,
            func.max(ResponseVersion.version).label("version"),
        )
        .group_by(col(ResponseVersion.response_id))
        .subquery()
    )
    query = (
        select(Response, ResponseVersion)
        .join(latest, latest.c.response_id == Response.id)
        .join(
            ResponseVersion,
            (col(ResponseVersion.response_id) == latest.c.response_id)
            & (col(ResponseVersion.version) == latest.c.version),
        )
        .where(Response.phase_id == phase_id)
    )
    if instrument is not None:
        query = query.where(Response.instrument == instrument.value)
    if cluster is not None:
        query = query.where(Response.cluster == cluster.value)
    return list((await session.exec(query)).all())
