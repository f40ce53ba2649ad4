"""Routes of the Secretariat: deadlines, the evaluation and the trends report."""

from collections import Counter

from fastapi import APIRouter, status

from palermo_review import deadlines, reports
from palermo_review.access import Action, authorize, review_for
from palermo_review.api.deps import Now, Runtime, Settings
from palermo_review.api.schemas import (
    DeadlineCheck,
    DeadlineCheckResult,
    Evaluation,
    EvaluationGroup,
    ExtensionCreate,
    ExtensionPublic,
    TrendRow,
    Trends,
)
from palermo_review.participants import require_secretariat
from palermo_shared.auth import Caller
from palermo_shared.errors import InvalidInput
from palermo_shared.text import SingleLineText

router = APIRouter(tags=["secretariat"])


@router.post(
    "/reviews/{review_id}/extensions",
    response_model=ExtensionPublic,
    status_code=status.HTTP_201_CREATED,
)
async def extend_deadline(
    review_id: str,
    body: ExtensionCreate,
    runtime: Runtime,
    caller: Caller,
    settings: Settings,
    now: Now,
) -> ExtensionPublic:
    """Extend one stage's deadline by a number of days, with the reason."""
    async with runtime.transaction() as session:
        extension = await deadlines.extend(
            session,
            caller,
            review_id,
            stage=body.stage,
            days=body.days,
            reason=body.reason,
            settings=settings,
            now=now,
        )
    return ExtensionPublic.model_validate(extension, from_attributes=True)


@router.get("/reviews/{review_id}/extensions", response_model=list[ExtensionPublic])
async def list_extensions(
    review_id: str, runtime: Runtime, caller: Caller
) -> list[ExtensionPublic]:
    async with runtime.session() as session:
        review = await review_for(session, review_id, caller)
        await authorize(session, review, caller, Action.READ)
        found = await deadlines.list_extensions(session, review_id)
    return [ExtensionPublic.model_validate(e, from_attributes=True) for e in found]


@router.post("/deadlines/check", response_model=DeadlineCheckResult)
async def check_deadlines(
    body: DeadlineCheck, runtime: Runtime, caller: Caller, settings: Settings, now: Now
) -> DeadlineCheckResult:
    """Run the deadline check now, or at the given time, as the periodic task does."""
    require_secretariat(caller, "run the deadline check")
    at = body.at or now
    # A check at a later time would send reminders and overdue notices
    # before they are due, and they are sent once.
    if at > now:
        raise InvalidInput(
            f"invalid at {at.isoformat()}: it is after now ({now.isoformat()}), "
            "and notices cannot be sent before they are due",
            field="at",
        )
    async with runtime.transaction() as session:
        result = await deadlines.check_deadlines(session, settings, at)
    return DeadlineCheckResult(
        at=at, reminders=result.reminders, overdue=result.overdue
    )


@router.get("/evaluation", response_model=Evaluation)
async def evaluation(
    phase_id: SingleLineText, runtime: Runtime, caller: Caller, now: Now
) -> Evaluation:
    """Return time spent per stage and requests for information, per working
    group and cluster, to evaluate how the mechanism performs.
    """
    require_secretariat(caller, "read the evaluation")
    async with runtime.session() as session:
        groups = await reports.evaluation(session, phase_id, now)
    return Evaluation(
        phase_id=phase_id,
        at=now,
        groups=[
            EvaluationGroup(
                working_group=g.working_group,
                instrument=g.instrument,
                cluster=g.cluster,
                reviews=g.reviews,
                completed=g.completed,
                information_requests=g.information_requests,
                mean_days_in_stage=g.mean_days(),
                reviews_in_stage=g.reviews_in_stage,
            )
            for g in groups
        ],
    )


@router.get("/trends", response_model=Trends)
async def trends(
    runtime: Runtime, caller: Caller, phase_id: SingleLineText | None = None
) -> Trends:
    """Return the general report on trends: observations counted, no State named."""
    require_secretariat(caller, "read the trends report")
    async with runtime.session() as session:
        rows = await reports.trends(session, phase_id)
    by_kind: Counter[str] = Counter()
    by_instrument: Counter[str] = Counter()
    by_cluster: Counter[str] = Counter()
    for row in rows:
        by_kind[row.kind] += row.observations
        by_instrument[row.instrument] += row.observations
        by_cluster[row.cluster] += row.observations
    return Trends(
        phase_id=phase_id,
        by_kind=dict(by_kind),
        by_instrument=dict(by_instrument),
        by_cluster=dict(by_cluster),
        rows=[TrendRow.model_validate(r, from_attributes=True) for r in rows],
    )
