"""HTTP request and response bodies of the draw service."""

import datetime as dt

from pydantic import BaseModel, Field, field_validator

from palermo_shared.reference.instruments import (
    WORKPLAN,
    Cluster,
    Instrument,
    WorkingGroup,
)

REVIEW_PERIODS = tuple(years for years, period in WORKPLAN.items() if period.clusters)


class PartyStatusPublic(BaseModel):
    deposit_date: dt.date | None = Field(
        description="Deposit date; null when a source states the party without a date"
    )


class StatePublic(BaseModel):
    iso3: str
    name: str
    regional_group: str | None
    legal_system: str | None
    instruments: dict[Instrument, PartyStatusPublic]
    uncac: PartyStatusPublic | None


class PhaseCreate(BaseModel):
    years: str = Field(
        default="III-VI",
        description=f"Workplan period to review, one of {', '.join(REVIEW_PERIODS)}",
    )
    instruments: list[Instrument] = Field(default_factory=lambda: list(Instrument))
    draw_date: dt.date | None = Field(
        default=None,
        description="Date on which parties are counted; today when omitted",
    )

    @field_validator("years")
    @classmethod
    def known_period(cls, years: str) -> str:
        if years not in REVIEW_PERIODS:
            raise ValueError(
                f"unknown workplan period {years!r}; expected one of "
                f"{', '.join(REVIEW_PERIODS)}"
            )
        return years

    @field_validator("instruments")
    @classmethod
    def distinct_instruments(cls, instruments: list[Instrument]) -> list[Instrument]:
        if not instruments:
            raise ValueError("at least one instrument is required")
        if len(set(instruments)) != len(instruments):
            raise ValueError("instruments must not repeat")
        return instruments


class PhasePublic(BaseModel):
    id: str
    years: str
    instruments: list[Instrument]
    clusters: list[Cluster]
    working_groups: dict[Instrument, WorkingGroup]
    draw_date: dt.date
    opened_at: dt.datetime
    drawn: bool


class DrawRequest(BaseModel):
    seed: str = Field(
        min_length=1,
        max_length=200,
        description="Public seed announced at the meeting; the draw depends on it",
    )


class AssignmentPublic(BaseModel):
    instrument: Instrument
    state_under_review: str
    regional_group: str
    reviewers: list[str] = Field(
        description="Reviewer from the same regional group, then from another group"
    )
    similar_legal_system: bool
    legal_system_note: str | None


class NotDrawnPublic(BaseModel):
    instrument: Instrument
    state: str
    reason: str


class DrawPublic(BaseModel):
    phase_id: str
    seed: str
    ruleset_version: int
    drawn_at: dt.datetime
    assignments: list[AssignmentPublic]
    not_drawn: list[NotDrawnPublic]
