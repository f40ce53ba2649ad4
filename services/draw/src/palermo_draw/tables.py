"""Tables of the draw service. None of them goes on the wire as is."""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


class RegistryChangeRow(SQLModel, table=True):
    """One dated change of the States-parties registry: a whole row of states.csv."""

    __tablename__ = "registry_change"

    id: int | None = Field(default=None, primary_key=True)
    iso3: str = Field(max_length=3, index=True)
    effective_date: dt.date
    row: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    source: str = Field(max_length=20)
    recorded_at: dt.datetime


class Phase(SQLModel, table=True):
    __tablename__ = "phase"

    id: str = Field(primary_key=True, max_length=64)
    years: str = Field(max_length=16)
    instruments: list[str] = Field(sa_column=Column(JSON, nullable=False))
    clusters: list[str] = Field(sa_column=Column(JSON, nullable=False))
    mode: str = Field(default="per_review", max_length=20)
    draw_date: dt.date
    opened_at: dt.datetime


class Meeting(SQLModel, table=True):
    """A meeting of the working group at which lots are drawn or redrawn."""

    __tablename__ = "meeting"

    id: str = Field(primary_key=True, max_length=64)
    phase_id: str = Field(foreign_key="phase.id", index=True, max_length=64)
    kind: str = Field(max_length=20)
    date: dt.date
    states_present: list[str] = Field(sa_column=Column(JSON, nullable=False))
    recorded_at: dt.datetime


class SeedCommitment(SQLModel, table=True):
    __tablename__ = "seed_commitment"

    phase_id: str = Field(primary_key=True, foreign_key="phase.id", max_length=64)
    seed_sha256: str = Field(max_length=64)
    committed_at: dt.datetime


class Draw(SQLModel, table=True):
    __tablename__ = "draw"

    phase_id: str = Field(primary_key=True, foreign_key="phase.id", max_length=64)
    seed: str = Field(max_length=2000)
    seed_source: str = Field(default="commitment", max_length=20)
    announced_values: list[str] | None = Field(default=None, sa_column=Column(JSON))
    ruleset_version: int
    mode: str = Field(default="per_review", max_length=20)
    meeting_id: str | None = Field(default=None, max_length=64)
    # The eligible parties per instrument as the draw saw them, and the
    # first result, so that the record can be re-run after the registry or
    # the assignments change.
    parties: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    initial: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    drawn_at: dt.datetime


class LotAssignment(SQLModel, table=True):
    """The current reviewers of one State and instrument, after any redraw."""

    __tablename__ = "lot_assignment"
    __table_args__ = (UniqueConstraint("phase_id", "instrument", "state_under_review"),)

    id: int | None = Field(default=None, primary_key=True)
    phase_id: str = Field(foreign_key="phase.id", index=True, max_length=64)
    instrument: str = Field(max_length=40)
    state_under_review: str = Field(max_length=3)
    same_group_reviewer: str = Field(max_length=3)
    other_group_reviewer: str = Field(max_length=3)
    similar_legal_system: bool
    legal_system_note: str | None = None
    redraw_count: int = 0


class LotNotDrawn(SQLModel, table=True):
    __tablename__ = "lot_not_drawn"
    __table_args__ = (UniqueConstraint("phase_id", "instrument", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    phase_id: str = Field(foreign_key="phase.id", index=True, max_length=64)
    instrument: str = Field(max_length=40)
    state: str = Field(max_length=3)
    reason: str


class RedrawRow(SQLModel, table=True):
    """One repeat of the draw for one review, kept forever as its history."""

    __tablename__ = "redraw"
    __table_args__ = (UniqueConstraint("phase_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    phase_id: str = Field(foreign_key="phase.id", index=True, max_length=64)
    number: int
    instrument: str = Field(max_length=40)
    state_under_review: str = Field(max_length=3)
    requested_by: str = Field(max_length=3)
    reason: str
    meeting_id: str = Field(max_length=64)
    seed: str = Field(max_length=200)
    replaced: list[str] = Field(sa_column=Column(JSON, nullable=False))
    decided_by: str | None = None
    decided_on: dt.date | None = None
    decision_reason: str | None = None
    result: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    requested_at: dt.datetime


class CohortDraw(SQLModel, table=True):
    __tablename__ = "cohort_draw"

    id: str = Field(primary_key=True, max_length=64)
    seed: str = Field(max_length=200)
    count: int
    draw_date: dt.date
    ruleset_version: int
    cohorts: list[list[str]] = Field(sa_column=Column(JSON, nullable=False))
    not_assigned: list[list[str]] = Field(sa_column=Column(JSON, nullable=False))
    drawn_at: dt.datetime


MODELS = (
    RegistryChangeRow,
    Phase,
    Meeting,
    SeedCommitment,
    Draw,
    LotAssignment,
    LotNotDrawn,
    RedrawRow,
    CohortDraw,
)
