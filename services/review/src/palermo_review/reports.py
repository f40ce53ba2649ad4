"""Reports across reviews: the evaluation of the mechanism, trends, follow-up.

None of them ranks States, and the trends name none.
"""

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_review.domain.workflow import ReviewStatus
from palermo_review.tables import (
    DeskReview,
    InformationRequest,
    Observation,
    StageChange,
)
from palermo_shared.clock import aware
from palermo_shared.reference.instruments import WORKING_GROUPS, Instrument

DAY = dt.timedelta(days=1)


@dataclass
class GroupFigures:
    """Evaluation figures of one working group and cluster."""

    working_group: str
    instrument: str
    cluster: str
    reviews: int = 0
    completed: int = 0
    information_requests: int = 0
    days_in_stage: dict[str, float] = field(default_factory=dict)
    reviews_in_stage: dict[str, int] = field(default_factory=dict)

    def mean_days(self) -> dict[str, float]:
        return {
            stage: round(total / self.reviews_in_stage[stage], 3)
            for stage, total in self.days_in_stage.items()
        }


def _time_in_stages(
    review: DeskReview, changes: list[StageChange], now: dt.datetime
) -> dict[str, float]:
    """Return days spent in each stage; the current stage counts up to `now`."""
    spent: dict[str, float] = defaultdict(float)
    entered, stage = aware(review.created_at), None
    for change in changes:
        stage = change.from_stage
        spent[stage] += (aware(change.changed_at) - entered) / DAY
        entered = aware(change.changed_at)
    current = review.status
    if current != ReviewStatus.COMPLETED:
        spent[current] += (now - entered) / DAY
    return spent


async def evaluation(
    session: AsyncSession, phase_id: str, now: dt.datetime
) -> list[GroupFigures]:
    """Return, per working group and cluster, stage durations and request counts."""
    reviews = (
        await session.exec(select(DeskReview).where(DeskReview.phase_id == phase_id))
    ).all()
    ids = [r.id for r in reviews]
    changes: dict[str, list[StageChange]] = defaultdict(list)
    query = (
        select(StageChange)
        .where(col(StageChange.review_id).in_(ids))
        .order_by(col(StageChange.changed_at), col(StageChange.id))
    )
    for change in (await session.exec(query)).all():
        changes[change.review_id].append(change)
    requests = Counter(
        dict(
            (
                await session.exec(
                    select(InformationRequest.review_id, func.count())
                    .where(col(InformationRequest.review_id).in_(ids))
                    .group_by(col(InformationRequest.review_id))
                )
            ).all()
        )
    )
    groups: dict[tuple[str, str], GroupFigures] = {}
    for review in reviews:
        key = (review.instrument, review.cluster)
        group = groups.get(key) or GroupFigures(
            WORKING_GROUPS[Instrument(review.instrument)].value, *key
        )
        groups[key] = group
        group.reviews += 1
        group.completed += review.status == ReviewStatus.COMPLETED
        group.information_requests += requests[review.id]
        for stage, days in _time_in_stages(review, changes[review.id], now).items():
            group.days_in_stage[stage] = group.days_in_stage.get(stage, 0.0) + days
            group.reviews_in_stage[stage] = group.reviews_in_stage.get(stage, 0) + 1
    return [groups[key] for key in sorted(groups)]


@dataclass(frozen=True, order=True)
class TrendRow:
    working_group: str
    instrument: str
    cluster: str
    article: int
    kind: str
    observations: int


async def trends(session: AsyncSession, phase_id: str | None) -> list[TrendRow]:
    """Count the observations of completed reviews by instrument, cluster,
    article and kind; no State is named.
    """
    # SQLModel's select() is typed for up to four columns.
    query = (
        select(  # type: ignore[call-overload]
            DeskReview.instrument,
            DeskReview.cluster,
            Observation.article,
            Observation.kind,
            func.count(),
        )
        .join(DeskReview, col(DeskReview.id) == col(Observation.review_id))
        .where(DeskReview.status == ReviewStatus.COMPLETED.value)
        .group_by(
            col(DeskReview.instrument),
            col(DeskReview.cluster),
            col(Observation.article),
            col(Observation.kind),
        )
    )
    if phase_id is not None:
        query = query.where(DeskReview.phase_id == phase_id)
    rows = (await session.exec(query)).all()
    return sorted(
        TrendRow(
            WORKING_GROUPS[Instrument(instrument)].value,
            instrument,
            cluster,
            article,
            kind,
            count,
        )
        for instrument, cluster, article, kind, count in rows
    )


async def earlier_observations(
    session: AsyncSession, review: DeskReview
) -> list[tuple[DeskReview, Observation]]:
    """Return the observations of the State's other completed reviews, oldest first.

    They cover its other clusters and earlier phases, so later reviewers can
    follow up on them.
    """
    query = (
        select(DeskReview, Observation)
        .join(Observation, col(Observation.review_id) == col(DeskReview.id))
        .where(
            DeskReview.state_under_review == review.state_under_review,
            DeskReview.status == ReviewStatus.COMPLETED.value,
            DeskReview.id != review.id,
        )
        .order_by(col(DeskReview.completed_at), col(Observation.created_at))
    )
    return [(r, o) for r, o in (await session.exec(query)).all()]
