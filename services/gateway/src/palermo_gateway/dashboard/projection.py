"""The dashboard projection: a deterministic fold of domain events into figures.

The fold does no I/O. It reads each event's raw envelope data by the event's
type string, so it also handles event types whose payload schema this
package does not import. Every event id is applied once, so a replayed or
redelivered event changes nothing. The figures depend only on the set of
events applied, not on the order they arrived in. Wherever one event
supersedes another (the latest draw, a review's current stage, a
response's latest needs), the later one is chosen by its envelope time,
then its id, or by its version number.

A unit of progress is one State's review of one instrument and one cluster
in one phase. Its current stage is the furthest it has reached, in this
order: lots drawn, questionnaire submitted, review started, the review's
own later stages, completed.

No figure orders States by how they perform: groups come in the order of
the instruments, the clusters and the regional groups' names, and overdue
reviews in the order of the States' codes.
"""

import datetime as dt
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from palermo_shared.events import Envelope
from palermo_shared.reference.instruments import ARTICLES, Cluster, Instrument

logger = logging.getLogger(__name__)

REVIEW_PHASE_OPENED = "palermo.draw.review_phase_opened"
LOTS_DRAWN = "palermo.draw.lots_drawn"
REDRAW_REQUESTED = "palermo.draw.redraw_requested"
LOTS_REDRAWN = "palermo.draw.lots_redrawn"
QUESTIONNAIRE_SUBMITTED = "palermo.questionnaire.questionnaire_submitted"
NEEDS_IDENTIFIED = "palermo.questionnaire.technical_assistance_needs_identified"
DESK_REVIEW_STARTED = "palermo.review.desk_review_started"
DESK_REVIEW_COMPLETED = "palermo.review.desk_review_completed"
DESK_REVIEW_STAGE_CHANGED = "palermo.review.desk_review_stage_changed"
DESK_REVIEW_OVERDUE = "palermo.review.desk_review_overdue"

STAGE_LOTS_DRAWN = "lots_drawn"
STAGE_SUBMITTED = "questionnaire_submitted"
STAGE_REVIEW_STARTED = "review_started"
STAGE_COMPLETED = "completed"
MILESTONES = (STAGE_LOTS_DRAWN, STAGE_SUBMITTED, STAGE_REVIEW_STARTED, STAGE_COMPLETED)
# The review service's names of the stages before a review starts, and of
# the stages that this projection already derives from other events.
PRE_REVIEW_STAGES = frozenset({"awaiting_lots", "awaiting_questionnaire"})
REVIEW_STAGE_MILESTONES = {
    "in_progress": STAGE_REVIEW_STARTED,
    "completed": STAGE_COMPLETED,
}
NO_REGIONAL_GROUP = "none"
PRIORITIES = ("high", "medium", "low")

# The position of an event among those that supersede each other.
Stamp = tuple[dt.datetime, str]
# A State under review, an instrument and a cluster.
UnitKey = tuple[str, str, str]


@dataclass(frozen=True)
class PhaseSummary:
    phase_id: str
    years: str | None
    draw_date: str | None
    opened_at: dt.datetime | None


@dataclass(frozen=True)
class Progress:
    """Progress of the units of one group: one instrument, cluster or region."""

    group: str
    expected: int
    reached: dict[str, int]
    current: dict[str, int]


@dataclass(frozen=True)
class LatestDraw:
    state_under_review: str
    instrument: str
    regional_group: str
    at: dt.datetime


@dataclass(frozen=True)
class LatestRedraw:
    state_under_review: str
    instrument: str
    redraw_number: int
    requested_by: str
    replaced: list[str]
    at: dt.datetime


@dataclass(frozen=True)
class Draws:
    lots_drawn: int
    redraws_requested: int
    lots_redrawn: int
    latest_draw: LatestDraw | None
    latest_redraw: LatestRedraw | None


@dataclass(frozen=True)
class OverdueReview:
    review_id: str
    state_under_review: str
    instrument: str
    cluster: str
    regional_group: str
    stage: str
    due_at: str
    days_overdue: int


@dataclass(frozen=True)
class AssistanceNeeds:
    """Technical assistance needs stated for one instrument and cluster."""

    instrument: str
    cluster: str
    states: int
    needs: int
    by_priority: dict[str, int]
    by_type: dict[str, int]


@dataclass(frozen=True)
class PhaseDashboard:
    phase: PhaseSummary
    stages: list[str]
    units: int
    by_instrument: list[Progress]
    by_cluster: list[Progress]
    by_regional_group: list[Progress]
    overdue: list[OverdueReview]
    draws: Draws
    assistance_needs: list[AssistanceNeeds]


@dataclass(frozen=True)
class Dashboard:
    """Figures of one phase; `duplicates_ignored` counts events delivered again."""

    events_applied: int
    duplicates_ignored: int
    phases: list[PhaseSummary]
    current: PhaseDashboard | None


@dataclass
class _Unit:
    regional_group: str | None = None
    drawn: bool = False
    submitted: bool = False
    started: bool = False
    completed: bool = False
    review_stage: tuple[Stamp, str] | None = None
    # When the review last left each stage, by the review service's names.
    left_stages: dict[str, Stamp] = field(default_factory=dict)

    def reached(self) -> list[str]:
        flags = (self.drawn, self.submitted, self.started, self.completed)
        return [stage for stage, done in zip(MILESTONES, flags, strict=True) if done]

    def current(self) -> str | None:
        if self.completed:
            return STAGE_COMPLETED
        if self.review_stage is not None:
            return self.review_stage[1]
        if self.started:
            return STAGE_REVIEW_STARTED
        if self.submitted:
            return STAGE_SUBMITTED
        return STAGE_LOTS_DRAWN if self.drawn else None


@dataclass
class _Overdue:
    stamp: Stamp
    unit: UnitKey
    stage: str
    due_at: str
    days_overdue: int


@dataclass
class _Needs:
    version: int
    instrument: str
    cluster: str
    state: str
    needs: list[dict[str, Any]]


@dataclass
class _Phase:
    phase_id: str
    opened: PhaseSummary | None = None
    expected: set[UnitKey] = field(default_factory=set)
    units: dict[UnitKey, _Unit] = field(default_factory=dict)
    # When each of the review's own stages was first entered, to list them in
    # the order a review goes through them.
    stage_entered: dict[str, Stamp] = field(default_factory=dict)
    draws: set[str] = field(default_factory=set)
    redraw_requests: int = 0
    redraws: int = 0
    latest_draw: tuple[Stamp, LatestDraw] | None = None
    latest_redraw: tuple[Stamp, LatestRedraw] | None = None
    overdue: dict[str, _Overdue] = field(default_factory=dict)
    needs: dict[str, _Needs] = field(default_factory=dict)

    def unit(self, key: UnitKey) -> _Unit:
        unit = self.units.get(key)
        if unit is None:
            unit = self.units[key] = _Unit()
        return unit


class DashboardProjection:
    """Figures of every review phase, folded from the events applied so far.

    `regional_groups` maps ISO 3166-1 alpha-3 codes to UN regional groups
    (from the reference data); a group named in a `LotsDrawn` event takes
    precedence over it.
    """

    def __init__(self, regional_groups: Mapping[str, str | None]) -> None:
        self._regional_groups = regional_groups
        self._seen: set[str] = set()
        self._duplicates = 0
        self._phases: dict[str, _Phase] = {}
        self._handlers: dict[str, Callable[[_Phase, Envelope], None]] = {
            REVIEW_PHASE_OPENED: self._phase_opened,
            LOTS_DRAWN: self._lots_drawn,
            REDRAW_REQUESTED: self._redraw_requested,
            LOTS_REDRAWN: self._lots_redrawn,
            QUESTIONNAIRE_SUBMITTED: self._questionnaire_submitted,
            NEEDS_IDENTIFIED: self._needs_identified,
            DESK_REVIEW_STARTED: self._review_started,
            DESK_REVIEW_COMPLETED: self._review_completed,
            DESK_REVIEW_STAGE_CHANGED: self._stage_changed,
            DESK_REVIEW_OVERDUE: self._overdue,
        }

    @property
    def events_applied(self) -> int:
        return len(self._seen)

    def apply(self, envelope: Envelope) -> bool:
        """Fold one event in; return False when it was applied before."""
        if envelope.id in self._seen:
            self._duplicates += 1
            return False
        self._seen.add(envelope.id)
        handler = self._handlers.get(envelope.type)
        if handler is None:
            return True
        try:
            phase_id = envelope.data["phase_id"]
            phase = self._phases.get(phase_id)
            if phase is None:
                phase = self._phases[phase_id] = _Phase(phase_id)
            handler(phase, envelope)
        except (KeyError, TypeError, ValueError) as error:
            # Counted as applied: the same event would fail the same way again.
            logger.warning(
                "dashboard left out event %s (%s): missing or invalid field %r",
                envelope.id,
                envelope.type,
                error,
            )
        return True

    def apply_all(self, envelopes: Iterable[Envelope]) -> None:
        for envelope in envelopes:
            self.apply(envelope)

    def phases(self) -> list[PhaseSummary]:
        """Return every phase seen, the most recently opened first."""
        summaries = [_summary(phase) for phase in self._phases.values()]
        return sorted(summaries, key=_opened_order, reverse=True)

    def dashboard(self, phase_id: str | None = None) -> Dashboard:
        """Return the figures of `phase_id`, or of the latest phase when None.

        Raises KeyError when `phase_id` names no phase seen.
        """
        phases = self.phases()
        if phase_id is None and phases:
            phase_id = phases[0].phase_id
        current = None
        if phase_id is not None:
            current = self._phase_dashboard(self._phases[phase_id])
        return Dashboard(self.events_applied, self._duplicates, phases, current)

    def _phase_opened(self, phase: _Phase, envelope: Envelope) -> None:
        data = envelope.data
        phase.opened = PhaseSummary(
            phase_id=phase.phase_id,
            years=data["years"],
            draw_date=data["draw_date"],
            opened_at=envelope.time,
        )
        clusters = data["clusters"]
        for instrument, states in data["states_under_review"].items():
            for cluster in _clusters_of(instrument, clusters):
                phase.expected.update((state, instrument, cluster) for state in states)

    def _lots_drawn(self, phase: _Phase, envelope: Envelope) -> None:
        data = envelope.data
        state, instrument = data["state_under_review"], data["instrument"]
        for cluster in _clusters_of(instrument, data["clusters"]):
            unit = phase.unit((state, instrument, cluster))
            unit.drawn = True
            unit.regional_group = data["regional_group"]
        phase.draws.add(f"{state}/{instrument}")
        stamp = (envelope.time, envelope.id)
        if phase.latest_draw is None or stamp > phase.latest_draw[0]:
            draw = LatestDraw(state, instrument, data["regional_group"], envelope.time)
            phase.latest_draw = (stamp, draw)

    def _redraw_requested(self, phase: _Phase, envelope: Envelope) -> None:
        phase.redraw_requests += 1

    def _lots_redrawn(self, phase: _Phase, envelope: Envelope) -> None:
        data = envelope.data
        phase.redraws += 1
        stamp = (envelope.time, envelope.id)
        if phase.latest_redraw is None or stamp > phase.latest_redraw[0]:
            redraw = LatestRedraw(
                state_under_review=data["state_under_review"],
                instrument=data["instrument"],
                redraw_number=data["redraw_number"],
                requested_by=data["requested_by"],
                replaced=list(data["replaced"]),
                at=envelope.time,
            )
            phase.latest_redraw = (stamp, redraw)

    def _questionnaire_submitted(self, phase: _Phase, envelope: Envelope) -> None:
        phase.unit(_unit_key(envelope.data, "state")).submitted = True

    def _needs_identified(self, phase: _Phase, envelope: Envelope) -> None:
        data = envelope.data
        known = phase.needs.get(data["response_id"])
        if known is not None and known.version >= data["response_version"]:
            return
        phase.needs[data["response_id"]] = _Needs(
            version=data["response_version"],
            instrument=data["instrument"],
            cluster=data["cluster"],
            state=data["state"],
            needs=list(data["needs"]),
        )

    def _review_started(self, phase: _Phase, envelope: Envelope) -> None:
        phase.unit(_unit_key(envelope.data)).started = True

    def _review_completed(self, phase: _Phase, envelope: Envelope) -> None:
        unit = phase.unit(_unit_key(envelope.data))
        unit.started = True
        unit.completed = True

    def _stage_changed(self, phase: _Phase, envelope: Envelope) -> None:
        data = envelope.data
        unit = phase.unit(_unit_key(data))
        stamp = (envelope.time, envelope.id)
        left = unit.left_stages.get(data["from_stage"])
        if left is None or stamp > left:
            unit.left_stages[data["from_stage"]] = stamp
        if data["to_stage"] in PRE_REVIEW_STAGES:
            return
        stage = REVIEW_STAGE_MILESTONES.get(data["to_stage"], data["to_stage"])
        unit.started = True
        unit.completed = unit.completed or stage == STAGE_COMPLETED
        if unit.review_stage is None or stamp > unit.review_stage[0]:
            unit.review_stage = (stamp, stage)
        entered = phase.stage_entered.get(stage)
        if entered is None or stamp < entered:
            phase.stage_entered[stage] = stamp

    def _overdue(self, phase: _Phase, envelope: Envelope) -> None:
        data = envelope.data
        stamp = (envelope.time, envelope.id)
        known = phase.overdue.get(data["review_id"])
        if known is not None and known.stamp > stamp:
            return
        phase.overdue[data["review_id"]] = _Overdue(
            stamp=stamp,
            unit=_unit_key(data),
            stage=data["stage"],
            due_at=str(data["due_at"]),
            days_overdue=int(data["days_overdue"]),
        )

    def _phase_dashboard(self, phase: _Phase) -> PhaseDashboard:
        keys = phase.expected | phase.units.keys()
        stages = _stage_order(phase)
        groups = self._groups(phase, keys)
        return PhaseDashboard(
            phase=_summary(phase),
            stages=stages,
            units=len(keys),
            by_instrument=_progress(phase, groups["instrument"], stages),
            by_cluster=_progress(phase, groups["cluster"], stages),
            by_regional_group=_progress(phase, groups["regional_group"], stages),
            overdue=self._overdue_reviews(phase),
            draws=_draws(phase),
            assistance_needs=_assistance_needs(phase),
        )

    def _groups(
        self, phase: _Phase, keys: set[UnitKey]
    ) -> dict[str, dict[str, list[UnitKey]]]:
        """Return the unit keys of each instrument, cluster and regional group."""
        groups: dict[str, dict[str, list[UnitKey]]] = {
            "instrument": {i.value: [] for i in Instrument},
            "cluster": {c.value: [] for c in Cluster},
            "regional_group": defaultdict(list),
        }
        for key in sorted(keys):
            groups["instrument"].setdefault(key[1], []).append(key)
            groups["cluster"].setdefault(key[2], []).append(key)
            groups["regional_group"][self._regional_group(phase, key)].append(key)
        groups["regional_group"] = dict(
            sorted(groups["regional_group"].items(), key=_regional_group_order)
        )
        return {
            name: {group: keys for group, keys in members.items() if keys}
            for name, members in groups.items()
        }

    def _regional_group(self, phase: _Phase, key: UnitKey) -> str:
        unit = phase.units.get(key)
        drawn_group = unit.regional_group if unit is not None else None
        return drawn_group or self._regional_groups.get(key[0]) or NO_REGIONAL_GROUP

    def _overdue_reviews(self, phase: _Phase) -> list[OverdueReview]:
        reviews = [
            OverdueReview(
                review_id=review_id,
                state_under_review=overdue.unit[0],
                instrument=overdue.unit[1],
                cluster=overdue.unit[2],
                regional_group=self._regional_group(phase, overdue.unit),
                stage=overdue.stage,
                due_at=overdue.due_at,
                days_overdue=overdue.days_overdue,
            )
            for review_id, overdue in phase.overdue.items()
            if _still_overdue(phase, overdue)
        ]
        # By State code, never by how late: the list is no league table.
        return sorted(
            reviews,
            key=lambda r: (r.state_under_review, r.instrument, r.cluster, r.review_id),
        )


def _unit_key(
    data: Mapping[str, Any], state_field: str = "state_under_review"
) -> UnitKey:
    return (data[state_field], data["instrument"], data["cluster"])


def _clusters_of(instrument: str, clusters: Iterable[str]) -> list[str]:
    articles = ARTICLES.get(Instrument(instrument), {})
    return [c for c in clusters if Cluster(c) in articles]


def _summary(phase: _Phase) -> PhaseSummary:
    return phase.opened or PhaseSummary(phase.phase_id, None, None, None)


def _opened_order(summary: PhaseSummary) -> tuple[bool, dt.datetime, str]:
    opened_at = summary.opened_at or dt.datetime.min.replace(tzinfo=dt.UTC)
    return (summary.opened_at is not None, opened_at, summary.phase_id)


def _regional_group_order(item: tuple[str, list[UnitKey]]) -> tuple[bool, str]:
    return (item[0] == NO_REGIONAL_GROUP, item[0])


def _stage_order(phase: _Phase) -> list[str]:
    review_stages = sorted(
        (s for s in phase.stage_entered if s not in MILESTONES),
        key=lambda s: (phase.stage_entered[s], s),
    )
    return [*MILESTONES[:3], *review_stages, STAGE_COMPLETED]


def _progress(
    phase: _Phase, groups: Mapping[str, list[UnitKey]], stages: list[str]
) -> list[Progress]:
    progress = []
    for group, keys in groups.items():
        reached: Counter[str] = Counter()
        current: Counter[str] = Counter()
        for key in keys:
            unit = phase.units.get(key)
            if unit is None:
                continue
            reached.update(unit.reached())
            stage = unit.current()
            if stage is not None:
                current[stage] += 1
        expected = sum(1 for key in keys if key in phase.expected)
        progress.append(
            Progress(
                group=group,
                expected=expected,
                reached={m: reached[m] for m in MILESTONES},
                current={s: current[s] for s in stages},
            )
        )
    return progress


def _still_overdue(phase: _Phase, overdue: _Overdue) -> bool:
    """Return whether the review has not left the stage it was overdue in since."""
    unit = phase.units.get(overdue.unit)
    if unit is None:
        return True
    left = unit.left_stages.get(overdue.stage)
    return not unit.completed and (left is None or left < overdue.stamp)


def _draws(phase: _Phase) -> Draws:
    return Draws(
        lots_drawn=len(phase.draws),
        redraws_requested=phase.redraw_requests,
        lots_redrawn=phase.redraws,
        latest_draw=phase.latest_draw[1] if phase.latest_draw else None,
        latest_redraw=phase.latest_redraw[1] if phase.latest_redraw else None,
    )


def _assistance_needs(phase: _Phase) -> list[AssistanceNeeds]:
    states: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    priorities: defaultdict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    types: defaultdict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for response in phase.needs.values():
        if not response.needs:
            continue
        key = (response.instrument, response.cluster)
        states[key].add(response.state)
        priorities[key].update(need["priority"] for need in response.needs)
        types[key].update(need["type"] for need in response.needs)
    return [
        AssistanceNeeds(
            instrument=instrument,
            cluster=cluster,
            states=len(states[instrument, cluster]),
            needs=priorities[instrument, cluster].total(),
            by_priority={p: priorities[instrument, cluster][p] for p in PRIORITIES},
            by_type=dict(sorted(types[instrument, cluster].items())),
        )
        for instrument in Instrument
        for cluster in Cluster
        if (instrument, cluster) in states
    ]
