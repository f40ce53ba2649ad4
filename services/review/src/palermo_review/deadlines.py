"""Deadlines of desk reviews: their state, extensions, reminders and escalation.

`check_deadlines` publishes `DeskReviewReminderDue` once a stage is within
the reminder lead time of its due date, and `DeskReviewOverdue` once it is
past it; each once per review, stage and due date, so an extension (a new
due date) earns a new reminder and a new escalation.
"""

import asyncio
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_review.access import Action, authorize, review_for
from palermo_review.clock import Clock
from palermo_review.domain.deadlines import (
    Deadline,
    DeadlineStage,
    ReviewProgress,
    deadlines,
)
from palermo_review.domain.workflow import OPEN_STAGES, ReviewStatus, Step
from palermo_review.reviews import check_step, publish
from palermo_review.settings import ReviewSettings
from palermo_review.tables import (
    Agreement,
    DeadlineExtension,
    DeadlineNotice,
    DeskReview,
    Expert,
    PhaseFocalPoint,
    ReviewFocalPoint,
)
from palermo_shared.auth import Principal
from palermo_shared.clock import aware
from palermo_shared.contracts import DeskReviewOverdue, DeskReviewReminderDue
from palermo_shared.db import lock_until_commit
from palermo_shared.errors import Conflict
from palermo_shared.ids import new_id
from palermo_shared.reference.instruments import Cluster, Instrument
from palermo_shared.service import ServiceRuntime

logger = logging.getLogger(__name__)

_Row = TypeVar("_Row", bound=SQLModel)

DEADLINE_CHECK_LOCK = "palermo_review.deadline_check"
REMINDER = "reminder"
OVERDUE = "overdue"


def target_days(settings: ReviewSettings) -> dict[DeadlineStage, int]:
    return {
        DeadlineStage.FOCAL_POINTS: settings.focal_points_due_days,
        DeadlineStage.EXPERTS: settings.experts_due_days,
        DeadlineStage.QUESTIONNAIRE: settings.questionnaire_due_days,
        DeadlineStage.FEEDBACK: settings.feedback_due_days,
    }


def _earliest(into: dict[str, dt.datetime], state: str, at: dt.datetime) -> None:
    at = aware(at)
    if state not in into or at < into[state]:
        into[state] = at


async def progress_of(
    session: AsyncSession, reviews: Sequence[DeskReview]
) -> dict[str, ReviewProgress]:
    """Return the progress of each review that has its lots, loaded in bulk."""
    drawn = [r for r in reviews if r.lots_drawn_at is not None]
    ids = [r.id for r in drawn]
    phases = {r.phase_id for r in drawn}
    named: dict[str, dict[str, dt.datetime]] = defaultdict(dict)
    by_phase: dict[str, dict[str, dt.datetime]] = defaultdict(dict)
    experts: dict[str, dict[str, dt.datetime]] = defaultdict(dict)
    cleared: dict[str, dict[str, dt.datetime]] = defaultdict(dict)
    extensions: dict[str, dict[DeadlineStage, int]] = defaultdict(dict)

    for fp in await _all(session, PhaseFocalPoint, PhaseFocalPoint.phase_id, phases):
        by_phase[fp.phase_id][fp.state] = aware(fp.named_at)
    for own in await _all(session, ReviewFocalPoint, ReviewFocalPoint.review_id, ids):
        named[own.review_id][own.state] = aware(own.named_at)
    for expert in await _all(session, Expert, Expert.review_id, ids):
        _earliest(experts[expert.review_id], expert.state, expert.appointed_at)
    for agreement in await _all(session, Agreement, Agreement.review_id, ids):
        if agreement.cleared_at is not None:
            cleared[agreement.review_id][agreement.state] = aware(agreement.cleared_at)
    for ext in await _all(session, DeadlineExtension, DeadlineExtension.review_id, ids):
        stage = DeadlineStage(ext.stage)
        extensions[ext.review_id][stage] = (
            extensions[ext.review_id].get(stage, 0) + ext.days
        )

    return {
        r.id: _progress(
            r,
            {**by_phase[r.phase_id], **named[r.id]},
            experts[r.id],
            cleared[r.id],
            extensions[r.id],
        )
        for r in drawn
    }


def _progress(
    review: DeskReview,
    focal_points: dict[str, dt.datetime],
    experts: dict[str, dt.datetime],
    cleared: dict[str, dt.datetime],
    extensions: dict[DeadlineStage, int],
) -> ReviewProgress:
    assert review.lots_drawn_at is not None
    start = aware(review.lots_drawn_at)
    submitted = review.questionnaire_submitted_at
    submitted = aware(submitted) if submitted is not None else None
    return ReviewProgress(
        start=start,
        responses_received_at=max(start, submitted) if submitted else None,
        state_under_review=review.state_under_review,
        reviewers=review.reviewers or [],
        focal_points_named=focal_points,
        experts_appointed=experts,
        questionnaire_submitted_at=submitted,
        agreements_cleared=cleared,
        extension_days=extensions,
    )


async def _all(
    session: AsyncSession, model: type[_Row], column: Any, values: Collection[str]
) -> list[_Row]:
    if not values:
        return []
    return list(
        (await session.exec(select(model).where(col(column).in_(values)))).all()
    )


async def deadlines_of(
    session: AsyncSession, review: DeskReview, settings: ReviewSettings
) -> list[Deadline]:
    progress = (await progress_of(session, [review])).get(review.id)
    return deadlines(progress, target_days(settings)) if progress else []


async def extend(
    session: AsyncSession,
    principal: Principal,
    rid: str,
    *,
    stage: DeadlineStage,
    days: int,
    reason: str,
    settings: ReviewSettings,
    now: dt.datetime,
) -> DeadlineExtension:
    """Extend a stage's deadline; raise `Conflict` when the stage was met."""
    review = await review_for(session, rid, principal, for_update=True)
    await authorize(session, review, principal, Action.EXTEND_DEADLINE)
    check_step(review, Step.APPOINT, action="extend a deadline of")
    for deadline in await deadlines_of(session, review, settings):
        if deadline.stage is stage and deadline.met_at is not None:
            raise Conflict(
                f"cannot extend the {stage.value} deadline of review {rid}: the "
                f"stage was met on {deadline.met_at:%Y-%m-%d}",
                field="stage",
            )

    extension = DeadlineExtension(
        id=new_id(),
        review_id=rid,
        stage=stage.value,
        days=days,
        reason=reason,
        extended_by=principal.subject,
        extended_at=now,
    )
    session.add(extension)
    logger.info("review %s: %s deadline extended by %d days", rid, stage, days)
    return extension


async def list_extensions(session: AsyncSession, rid: str) -> list[DeadlineExtension]:
    query = select(DeadlineExtension).where(DeadlineExtension.review_id == rid)
    return list(
        (await session.exec(query.order_by(col(DeadlineExtension.extended_at)))).all()
    )


@dataclass
class CheckResult:
    reminders: int = 0
    overdue: int = 0


async def check_deadlines(
    session: AsyncSession, settings: ReviewSettings, now: dt.datetime
) -> CheckResult:
    """Publish the reminders and escalations due at `now`, each once."""
    # Two checks at once (the periodic one and a Secretariat's request, or
    # two replicas) would both find a notice unsent, and the second would
    # fail on the notice's unique key.
    await lock_until_commit(session, DEADLINE_CHECK_LOCK)
    open_stages = [s.value for s in OPEN_STAGES if s is not ReviewStatus.AWAITING_LOTS]
    reviews = (
        await session.exec(
            select(DeskReview).where(col(DeskReview.status).in_(open_stages))
        )
    ).all()
    progress = await progress_of(session, reviews)
    sent = {
        (n.review_id, n.stage, aware(n.due_at), n.kind)
        for n in await _all(
            session, DeadlineNotice, DeadlineNotice.review_id, list(progress)
        )
    }
    lead = dt.timedelta(days=settings.reminder_lead_days)
    result = CheckResult()
    for review in reviews:
        if review.id not in progress:
            continue
        for deadline in deadlines(progress[review.id], target_days(settings)):
            kind = _notice_kind(deadline, now, lead)
            if (
                kind is None
                or (review.id, deadline.stage.value, deadline.due_at, kind) in sent
            ):
                continue
            _notify(session, review, deadline, kind, now)
            result.overdue += kind == OVERDUE
            result.reminders += kind == REMINDER
    logger.info(
        "deadline check at %s: %d reminders, %d overdue",
        now,
        result.reminders,
        result.overdue,
    )
    return result


def _notice_kind(
    deadline: Deadline, now: dt.datetime, lead: dt.timedelta
) -> str | None:
    if deadline.met_at is not None:
        return None
    if now > deadline.due_at:
        return OVERDUE
    if now >= deadline.due_at - lead:
        return REMINDER
    return None


def _notify(
    session: AsyncSession,
    review: DeskReview,
    deadline: Deadline,
    kind: str,
    now: dt.datetime,
) -> None:
    session.add(
        DeadlineNotice(
            review_id=review.id,
            stage=deadline.stage.value,
            due_at=deadline.due_at,
            kind=kind,
            published_at=now,
        )
    )
    common = {
        "review_id": review.id,
        "phase_id": review.phase_id,
        "state_under_review": review.state_under_review,
        "instrument": Instrument(review.instrument),
        "cluster": Cluster(review.cluster),
        "stage": deadline.stage.value,
        "due_at": deadline.due_at,
        "states": deadline.pending_states,
    }
    if kind == OVERDUE:
        payload = DeskReviewOverdue(**common, days_overdue=deadline.overdue_days(now))
        publish(session, review, payload)
        return
    publish(
        session,
        review,
        DeskReviewReminderDue(**common, days_left=deadline.days_left(now)),
    )


async def run_periodic_check(
    runtime: ServiceRuntime, settings: ReviewSettings, clock: Clock
) -> None:
    """Check the deadlines every `deadline_check_interval_seconds`, until cancelled."""
    while True:
        await asyncio.sleep(settings.deadline_check_interval_seconds)
        try:
            async with runtime.transaction() as session:
                await check_deadlines(session, settings, clock())
        except Exception:
            logger.exception("deadline check failed; retrying at the next interval")
