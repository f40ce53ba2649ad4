"""Reviewing States of each review, projected from the draw service's events.

A service that decides who may read a State's documents keeps this table:
`LotsDrawn` sets the pair, each `LotsRedrawn` replaces it. Events may be
delivered twice or, after a replay, out of order. A stored pair is
therefore replaced only by one with a higher redraw number, so the latest
redraw wins.
"""

import logging
from collections.abc import Sequence

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_shared.contracts import LotsDrawn, LotsRedrawn
from palermo_shared.events import Envelope, EventPayload
from palermo_shared.preload import get_row, insert_values, preload_rows

logger = logging.getLogger(__name__)


class ReviewerAssignment(SQLModel, table=True):
    """Reviewing States of one State under review, for one instrument of a phase."""

    __tablename__ = "reviewer_assignment"

    phase_id: str = Field(primary_key=True, max_length=64)
    instrument: str = Field(primary_key=True, max_length=40)
    state_under_review: str = Field(primary_key=True, max_length=3)
    reviewers: list[str] = Field(sa_column=Column(JSON, nullable=False))
    redraw_number: int = 0


def _key(lots: LotsDrawn | LotsRedrawn) -> tuple[str, str, str]:
    return (lots.phase_id, lots.instrument.value, lots.state_under_review)


async def record_lots(session: AsyncSession, lots: LotsDrawn | LotsRedrawn) -> None:
    """Store the pair of a draw or redraw unless a later redraw is already stored."""
    number = lots.redraw_number if isinstance(lots, LotsRedrawn) else 0
    key = _key(lots)
    stored = await get_row(session, ReviewerAssignment, key)
    if stored is not None and stored.redraw_number > number:
        logger.info(
            "review %s keeps redraw %d; the older redraw %d is ignored",
            "/".join(key),
            stored.redraw_number,
            number,
        )
        return

    reviewers = [reviewer.iso3 for reviewer in lots.reviewers]
    if stored is None:
        phase_id, instrument, state = key
        insert_values(
            session,
            ReviewerAssignment,
            phase_id=phase_id,
            instrument=instrument,
            state_under_review=state,
            reviewers=reviewers,
            redraw_number=number,
        )
        return

    stored.reviewers = reviewers
    stored.redraw_number = number
    session.add(stored)


async def handle_lots(
    session: AsyncSession, envelope: Envelope, payload: EventPayload
) -> None:
    """Consume `LotsDrawn` and `LotsRedrawn` (an inbox handler)."""
    assert isinstance(payload, LotsDrawn | LotsRedrawn)
    await record_lots(session, payload)


async def preload_lots(session: AsyncSession, payloads: Sequence[EventPayload]) -> None:
    """Load the stored pairs of a batch of `LotsDrawn` and `LotsRedrawn` at once."""
    keys = [_key(p) for p in payloads if isinstance(p, LotsDrawn | LotsRedrawn)]
    await preload_rows(session, ReviewerAssignment, keys)


LOTS_HANDLERS = {LotsDrawn.event_type: handle_lots, LotsRedrawn.event_type: handle_lots}
"""Handlers to merge into a service's consumer map."""

LOTS_PRELOADERS = {
    LotsDrawn.event_type: preload_lots,
    LotsRedrawn.event_type: preload_lots,
}
"""Preloaders to merge into a service's consumer spec."""


async def reviewers_of(
    session: AsyncSession, phase_id: str, instrument: str, state_under_review: str
) -> list[str]:
    """Return the reviewing States; empty while the lots are not drawn."""
    stored = await session.get(
        ReviewerAssignment, (phase_id, instrument, state_under_review)
    )
    return list(stored.reviewers) if stored else []
