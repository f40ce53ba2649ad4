"""Tables of the draw service. None of them goes on the wire as is."""

import datetime as dt

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


class Phase(SQLModel, table=True):
    __tablename__ = "phase"

    id: str = Field(primary_key=True, max_length=64)
    years: str = Field(max_length=16)
    instruments: list[str] = Field(sa_column=Column(JSON, nullable=False))
    clusters: list[str] = Field(sa_column=Column(JSON, nullable=False))
    draw_date: dt.date
    opened_at: dt.datetime


class Draw(SQLModel, table=True):
    __tablename__ = "draw"

    phase_id: str = Field(primary_key=True, foreign_key="phase.id", max_length=64)
    seed: str = Field(max_length=200)
    ruleset_version: int
    drawn_at: dt.datetime


class LotAssignment(SQLModel, table=True):
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


class LotNotDrawn(SQLModel, table=True):
    __tablename__ = "lot_not_drawn"
    __table_args__ = (UniqueConstraint("phase_id", "instrument", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    phase_id: str = Field(foreign_key="phase.id", index=True, max_length=64)
    instrument: str = Field(max_length=40)
    state: str = Field(max_length=3)
    reason: str


MODELS = (Phase, Draw, LotAssignment, LotNotDrawn)
