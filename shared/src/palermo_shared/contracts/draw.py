"""Events of the draw service: the registry, review phases and the drawing of lots."""

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from palermo_shared.dates import IsoDate
from palermo_shared.events import TOPIC_DRAW, EventPayload, event
from palermo_shared.reference.instruments import Cluster, Instrument, WorkingGroup

DrawModeName = Literal["per_review", "per_instrument"]


@event("palermo.draw.review_phase_opened", version=1, topic=TOPIC_DRAW)
class ReviewPhaseOpened(EventPayload):
    phase_id: str
    years: str
    clusters: list[Cluster]
    instruments: list[Instrument]
    working_groups: dict[Instrument, WorkingGroup]
    draw_date: dt.date
    states_under_review: dict[Instrument, list[str]] = Field(
        description="ISO 3166-1 alpha-3 codes of the parties to each instrument"
    )
    mode: DrawModeName | None = Field(
        default=None, description="Draw mode of the phase: per_review or per_instrument"
    )


class DrawnReviewer(BaseModel):
    model_config = ConfigDict(frozen=True)

    iso3: str
    regional_group: str
    legal_system: str | None
    role: Literal["same_regional_group", "other_regional_group"]


class MeetingReference(BaseModel):
    """The working-group meeting at which lots were drawn or redrawn."""

    model_config = ConfigDict(frozen=True)

    meeting_id: str
    kind: Literal["intersessional", "regular_session"]
    date: IsoDate
    states_present: list[str]


class ExceptionalDecision(BaseModel):
    """The decision that allows a redraw beyond the two a State may request."""

    model_config = ConfigDict(frozen=True)

    decided_by: str
    decided_on: IsoDate
    reason: str


@event("palermo.draw.lots_drawn", version=1, topic=TOPIC_DRAW)
class LotsDrawn(EventPayload):
    phase_id: str
    instrument: Instrument
    state_under_review: str
    regional_group: str
    clusters: list[Cluster]
    reviewers: list[DrawnReviewer]
    similar_legal_system: bool
    legal_system_note: str | None = None
    mode: DrawModeName | None = None
    ruleset_version: int | None = None
    meeting: MeetingReference | None = None
    redraw_count: int | None = Field(
        default=None, description="Redraws of this review so far: 0 at the draw"
    )


@event("palermo.draw.redraw_requested", version=1, topic=TOPIC_DRAW)
class RedrawRequested(EventPayload):
    phase_id: str
    instrument: Instrument
    state_under_review: str
    requested_by: str
    reason: str
    replaced: list[str] = Field(description="Reviewers the request asks to replace")
    redraw_number: int = Field(description="1 for the review's first redraw")
    requests_by_state: int = Field(
        description="Redraws of this review requested by `requested_by`, this one "
        "included"
    )
    exceptional_decision: ExceptionalDecision | None = None
    meeting: MeetingReference


@event("palermo.draw.lots_redrawn", version=1, topic=TOPIC_DRAW)
class LotsRedrawn(EventPayload):
    phase_id: str
    instrument: Instrument
    state_under_review: str
    regional_group: str
    clusters: list[Cluster]
    reviewers: list[DrawnReviewer] = Field(description="The pair after the redraw")
    replaced: list[str]
    redraw_number: int
    requested_by: str
    reason: str
    similar_legal_system: bool
    legal_system_note: str | None = None
    meeting: MeetingReference
    exceptional_decision: ExceptionalDecision | None = None


@event("palermo.draw.seed_committed", version=1, topic=TOPIC_DRAW)
class SeedCommitted(EventPayload):
    phase_id: str
    seed_sha256: str
    committed_at: dt.datetime


@event("palermo.draw.meeting_recorded", version=1, topic=TOPIC_DRAW)
class MeetingRecorded(EventPayload):
    phase_id: str
    meeting: MeetingReference


@event("palermo.draw.state_party_updated", version=1, topic=TOPIC_DRAW)
class StatePartyUpdated(EventPayload):
    iso3: str
    name: str
    regional_group: str | None
    legal_system: str | None
    parties: dict[str, str] = Field(
        description="Cell per treaty column of states.csv (untoc, tip, som, "
        "firearms, uncac): a deposit date, 'yes' or empty"
    )
    effective_date: dt.date
    source: Literal["api", "csv_import"]


@event("palermo.draw.cohorts_drawn", version=1, topic=TOPIC_DRAW)
class CohortsDrawn(EventPayload):
    cohort_draw_id: str
    seed: str
    draw_date: dt.date
    cohorts: list[list[str]] = Field(
        description="Codes of the States starting in each year, first year first"
    )
    not_assigned: dict[str, str] = Field(description="Code and reason")
