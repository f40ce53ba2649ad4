"""Reviewers drawn for each review, projected from `LotsDrawn` events."""

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_notify.tables import DrawnReviewer
from palermo_shared.contracts import LotsDrawn


async def record_reviewers(session: AsyncSession, payload: LotsDrawn) -> None:
    """Store the reviewers of a draw, skipping those already stored."""
    known = set(
        await drawn_reviewers(
            session,
            phase_id=payload.phase_id,
            instrument=payload.instrument.value,
            state_under_review=payload.state_under_review,
        )
    )
    for reviewer in payload.reviewers:
        if reviewer.iso3 in known:
            continue
        session.add(
            DrawnReviewer(
                phase_id=payload.phase_id,
                instrument=payload.instrument.value,
                state_under_review=payload.state_under_review,
                reviewer=reviewer.iso3,
            )
        )
        known.add(reviewer.iso3)


async def drawn_reviewers(
    session: AsyncSession, *, phase_id: str, instrument: str, state_under_review: str
) -> list[str]:
    """Return the reviewers of one review; empty when its lots are not known yet."""
    query = (
        select(DrawnReviewer.reviewer)
        .where(
            DrawnReviewer.phase_id == phase_id,
            DrawnReviewer.instrument == instrument,
            DrawnReviewer.state_under_review == state_under_review,
        )
        .order_by(col(DrawnReviewer.id))
    )
    return list((await session.exec(query)).all())
