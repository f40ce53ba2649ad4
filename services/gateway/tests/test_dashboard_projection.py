"""The dashboard projection: figures folded from events built with the contracts."""

import dataclasses
import datetime as dt
import random
import uuid
from typing import Any

from palermo_gateway.dashboard.projection import Dashboard, DashboardProjection
from palermo_shared.contracts import (
    DeskReviewCompleted,
    DeskReviewStarted,
    DrawnReviewer,
    LotsDrawn,
    LotsRedrawn,
    MeetingReference,
    QuestionnaireSubmitted,
    RedrawRequested,
    ReviewPhaseOpened,
    TechnicalAssistanceNeed,
    TechnicalAssistanceNeedsIdentified,
)
from palermo_shared.events import Envelope, EventPayload, new_event

PHASE = "phase-1"
CLUSTERS = ["criminalization", "international_cooperation"]
GROUPS = {"KEN": "African", "FRA": "Western European and Others", "COK": None}
MEETING = MeetingReference(
    meeting_id="m1", kind="intersessional", date="2026-12-04", states_present=[]
)
T0 = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)


def _envelope(payload: EventPayload, minute: int = 0) -> Envelope:
    envelope = new_event(payload, source="/test", subject="test")
    return envelope.model_copy(update={"time": T0 + dt.timedelta(minutes=minute)})


def _raw(event_type: str, data: dict[str, Any], minute: int = 0) -> Envelope:
    """Build an envelope for a type whose contract this test does not import."""
    return Envelope(
        id=str(uuid.uuid4()),
        source="/test",
        type=event_type,
        schemaversion=1,
        subject="test",
        time=T0 + dt.timedelta(minutes=minute),
        correlationid="c",
        data=data,
    )


def _opened(phase_id: str = PHASE, minute: int = 0) -> Envelope:
    return _envelope(
        ReviewPhaseOpened(
            phase_id=phase_id,
            years="III-VI",
            clusters=CLUSTERS,
            instruments=["convention", "firearms"],
            working_groups={},
            draw_date="2026-12-04",
            states_under_review={"convention": ["KEN", "FRA"], "firearms": ["KEN"]},
        ),
        minute,
    )


def _reviewer(iso3: str) -> DrawnReviewer:
    return DrawnReviewer(
        iso3=iso3, regional_group="x", legal_system=None, role="same_regional_group"
    )


def _drawn(state: str, instrument: str = "convention", minute: int = 1) -> Envelope:
    return _envelope(
        LotsDrawn(
            phase_id=PHASE,
            instrument=instrument,
            state_under_review=state,
            regional_group=GROUPS[state] or "none",
            clusters=CLUSTERS,
            reviewers=[_reviewer("NGA"), _reviewer("BRA")],
            similar_legal_system=True,
        ),
        minute,
    )


def _redrawn(state: str, number: int, minute: int) -> Envelope:
    return _envelope(
        LotsRedrawn(
            phase_id=PHASE,
            instrument="convention",
            state_under_review=state,
            regional_group="African",
            clusters=CLUSTERS,
            reviewers=[_reviewer("GHA"), _reviewer("BRA")],
            replaced=["NGA"],
            redraw_number=number,
            requested_by=state,
            reason="conflict of interest",
            similar_legal_system=True,
            meeting=MEETING,
        ),
        minute,
    )


def _submitted(state: str, cluster: str = "criminalization") -> Envelope:
    return _envelope(
        QuestionnaireSubmitted(
            response_id=f"r-{state}-{cluster}",
            questionnaire_id="q",
            phase_id=PHASE,
            state=state,
            instrument="convention",
            cluster=cluster,
            submitted_at=T0,
        ),
        2,
    )


def _started(state: str, cluster: str = "criminalization") -> Envelope:
    return _envelope(
        DeskReviewStarted(
            review_id=f"rv-{state}-{cluster}",
            phase_id=PHASE,
            state_under_review=state,
            instrument="convention",
            cluster=cluster,
            reviewers=["NGA", "BRA"],
        ),
        3,
    )


def _completed(state: str, cluster: str = "criminalization") -> Envelope:
    return _envelope(
        DeskReviewCompleted(
            review_id=f"rv-{state}-{cluster}",
            phase_id=PHASE,
            state_under_review=state,
            instrument="convention",
            cluster=cluster,
            reviewers=["NGA", "BRA"],
            observation_count=1,
            completed_at=T0,
        ),
        9,
    )


def _stage_changed(state: str, from_stage: str, to_stage: str, minute: int) -> Envelope:
    return _raw(
        "palermo.review.desk_review_stage_changed",
        {
            "review_id": f"rv-{state}-criminalization",
            "phase_id": PHASE,
            "state_under_review": state,
            "instrument": "convention",
            "cluster": "criminalization",
            "regional_group": GROUPS[state],
            "from_stage": from_stage,
            "to_stage": to_stage,
            "changed_at": (T0 + dt.timedelta(minutes=minute)).isoformat(),
        },
        minute,
    )


def _overdue(state: str, stage: str, days: int, minute: int = 5) -> Envelope:
    return _raw(
        "palermo.review.desk_review_overdue",
        {
            "review_id": f"rv-{state}-criminalization",
            "phase_id": PHASE,
            "state_under_review": state,
            "instrument": "convention",
            "cluster": "criminalization",
            "stage": stage,
            "due_at": "2026-12-01T00:00:00+00:00",
            "days_overdue": days,
        },
        minute,
    )


def _needs(
    state: str, version: int, priorities: list[str], cluster: str = "criminalization"
) -> Envelope:
    return _envelope(
        TechnicalAssistanceNeedsIdentified(
            response_id=f"r-{state}-{cluster}",
            response_version=version,
            phase_id=PHASE,
            state=state,
            instrument="convention",
            cluster=cluster,
            working_group="international_cooperation",
            needs=[
                TechnicalAssistanceNeed(article=5, type="legal_advice", priority=p)
                for p in priorities
            ],
            identified_at=T0,
        ),
        version,
    )


def _fold(*events: Envelope) -> Dashboard:
    projection = DashboardProjection(GROUPS)
    projection.apply_all(events)
    return projection.dashboard()


def _progress(dashboard: Dashboard, view: str, group: str) -> Any:
    assert dashboard.current is not None
    rows = getattr(dashboard.current, view)
    return next(row for row in rows if row.group == group)


def test_opened_phase_expects_units() -> None:
    dashboard = _fold(_opened())

    convention = _progress(dashboard, "by_instrument", "convention")
    firearms = _progress(dashboard, "by_instrument", "firearms")
    assert convention.expected == 4
    assert firearms.expected == 2
    assert dashboard.current is not None
    assert dashboard.current.units == 6


def test_lots_drawn_counts_each_cluster() -> None:
    dashboard = _fold(_opened(), _drawn("KEN"))

    convention = _progress(dashboard, "by_instrument", "convention")
    assert convention.reached["lots_drawn"] == 2
    assert convention.current["lots_drawn"] == 2


def test_stages_follow_a_review() -> None:
    dashboard = _fold(
        _opened(), _drawn("KEN"), _submitted("KEN"), _started("KEN"), _drawn("FRA")
    )

    african = _progress(dashboard, "by_regional_group", "African")
    western = _progress(dashboard, "by_regional_group", "Western European and Others")
    assert african.current["review_started"] == 1
    assert african.current["lots_drawn"] == 1
    assert african.reached["questionnaire_submitted"] == 1
    assert western.current["lots_drawn"] == 2


def test_completed_review_leaves_earlier_stages() -> None:
    dashboard = _fold(_opened(), _drawn("KEN"), _submitted("KEN"), _completed("KEN"))

    cluster = _progress(dashboard, "by_cluster", "criminalization")
    assert cluster.current["completed"] == 1
    assert cluster.current["review_started"] == 0
    assert cluster.reached["review_started"] == 1


def test_submission_before_draw_counts() -> None:
    dashboard = _fold(_opened(), _submitted("FRA"))

    group = _progress(dashboard, "by_regional_group", "Western European and Others")
    assert group.current["questionnaire_submitted"] == 1
    assert group.reached["lots_drawn"] == 0


def test_state_without_group_is_grouped_last() -> None:
    dashboard = _fold(_opened(), _submitted("COK"))

    assert dashboard.current is not None
    groups = [row.group for row in dashboard.current.by_regional_group]
    assert groups == ["African", "Western European and Others", "none"]


def test_stage_changes_add_review_stages() -> None:
    dashboard = _fold(
        _opened(),
        _started("KEN"),
        _stage_changed("KEN", "in_progress", "agreeing", 4),
        _stage_changed("KEN", "agreeing", "commenting", 6),
        _started("FRA"),
        _stage_changed("FRA", "in_progress", "agreeing", 5),
    )

    assert dashboard.current is not None
    stages = dashboard.current.stages
    assert stages[3:5] == ["agreeing", "commenting"]
    convention = _progress(dashboard, "by_instrument", "convention")
    assert convention.current["commenting"] == 1
    assert convention.current["agreeing"] == 1


def test_latest_stage_wins_in_any_order() -> None:
    later = _stage_changed("KEN", "agreeing", "commenting", 6)
    earlier = _stage_changed("KEN", "in_progress", "agreeing", 4)

    dashboard = _fold(_opened(), later, earlier)

    convention = _progress(dashboard, "by_instrument", "convention")
    assert convention.current["commenting"] == 1


def test_stage_before_start_not_counted() -> None:
    dashboard = _fold(
        _opened(),
        _submitted("KEN"),
        _stage_changed("KEN", "awaiting_lots", "awaiting_questionnaire", 2),
    )

    convention = _progress(dashboard, "by_instrument", "convention")
    assert convention.current["questionnaire_submitted"] == 1
    assert convention.reached["review_started"] == 0


def test_stage_in_progress_means_started() -> None:
    dashboard = _fold(
        _opened(), _stage_changed("KEN", "awaiting_questionnaire", "in_progress", 3)
    )

    assert dashboard.current is not None
    convention = _progress(dashboard, "by_instrument", "convention")
    assert convention.current["review_started"] == 1
    assert "in_progress" not in dashboard.current.stages


def test_stage_completed_means_completed() -> None:
    dashboard = _fold(_opened(), _stage_changed("KEN", "commenting", "completed", 8))

    convention = _progress(dashboard, "by_instrument", "convention")
    assert convention.current["completed"] == 1
    assert convention.reached["completed"] == 1


def test_overdue_review_listed() -> None:
    dashboard = _fold(_opened(), _started("KEN"), _overdue("KEN", "in_progress", 3))

    assert dashboard.current is not None
    [overdue] = dashboard.current.overdue
    assert overdue.days_overdue == 3
    assert overdue.regional_group == "African"


def test_overdue_review_cleared_by_stage_change() -> None:
    dashboard = _fold(
        _opened(),
        _overdue("KEN", "in_progress", 3),
        _stage_changed("KEN", "in_progress", "commenting", 7),
    )

    assert dashboard.current is not None
    assert dashboard.current.overdue == []


def test_overdue_again_after_reopening() -> None:
    dashboard = _fold(
        _opened(),
        _overdue("KEN", "agreeing", 1, minute=5),
        _stage_changed("KEN", "agreeing", "in_progress", 6),
        _stage_changed("KEN", "in_progress", "agreeing", 7),
        _overdue("KEN", "agreeing", 2, minute=9),
    )

    assert dashboard.current is not None
    [overdue] = dashboard.current.overdue
    assert overdue.days_overdue == 2


def test_overdue_review_cleared_by_completion() -> None:
    dashboard = _fold(_opened(), _overdue("KEN", "in_progress", 3), _completed("KEN"))

    assert dashboard.current is not None
    assert dashboard.current.overdue == []


def test_overdue_reviews_ordered_by_state() -> None:
    dashboard = _fold(
        _opened(), _overdue("KEN", "in_progress", 2), _overdue("FRA", "in_progress", 9)
    )

    assert dashboard.current is not None
    states = [r.state_under_review for r in dashboard.current.overdue]
    assert states == ["FRA", "KEN"]


def test_draws_and_redraws_counted() -> None:
    requested = _envelope(
        RedrawRequested(
            phase_id=PHASE,
            instrument="convention",
            state_under_review="KEN",
            requested_by="KEN",
            reason="conflict of interest",
            replaced=["NGA"],
            redraw_number=1,
            requests_by_state=1,
            meeting=MEETING,
        ),
        4,
    )

    dashboard = _fold(
        _opened(),
        _drawn("KEN"),
        _drawn("FRA", minute=2),
        requested,
        _redrawn("KEN", 2, minute=8),
        _redrawn("KEN", 1, minute=5),
    )

    assert dashboard.current is not None
    draws = dashboard.current.draws
    assert draws.lots_drawn == 2
    assert draws.redraws_requested == 1
    assert draws.lots_redrawn == 2
    assert draws.latest_draw is not None
    assert draws.latest_draw.state_under_review == "FRA"
    assert draws.latest_redraw is not None
    assert draws.latest_redraw.redraw_number == 2


def test_needs_of_latest_version_count() -> None:
    dashboard = _fold(
        _opened(),
        _needs("KEN", 2, ["low"]),
        _needs("KEN", 1, ["high", "high"]),
        _needs("FRA", 1, ["high"]),
    )

    assert dashboard.current is not None
    [needs] = dashboard.current.assistance_needs
    assert needs.states == 2
    assert needs.needs == 2
    assert needs.by_priority == {"high": 1, "medium": 0, "low": 1}


def test_withdrawn_needs_leave_table() -> None:
    dashboard = _fold(_opened(), _needs("KEN", 1, ["high"]), _needs("KEN", 2, []))

    assert dashboard.current is not None
    assert dashboard.current.assistance_needs == []


def test_replayed_event_changes_nothing() -> None:
    projection = DashboardProjection(GROUPS)
    submitted = _submitted("KEN")
    projection.apply_all([_opened(), _drawn("KEN"), submitted])
    before = projection.dashboard()

    applied = projection.apply(submitted)

    after = projection.dashboard()
    assert applied is False
    assert after.current == before.current
    assert after.events_applied == before.events_applied
    assert after.duplicates_ignored == 1


def test_order_of_events_changes_nothing() -> None:
    events = [
        _opened(),
        _drawn("KEN"),
        _drawn("FRA"),
        _submitted("KEN"),
        _started("KEN"),
        _stage_changed("KEN", "in_progress", "commenting", 6),
        _overdue("FRA", "in_progress", 4),
        _redrawn("KEN", 1, minute=5),
        _needs("KEN", 1, ["high"]),
        _needs("KEN", 2, ["medium"]),
        _completed("FRA"),
    ]
    shuffled = list(events)
    random.Random(7).shuffle(shuffled)

    assert _fold(*shuffled) == _fold(*events)


def test_latest_phase_shown_by_default() -> None:
    dashboard = _fold(_opened("old", minute=0), _opened("new", minute=30))

    assert dashboard.current is not None
    assert dashboard.current.phase.phase_id == "new"
    assert [p.phase_id for p in dashboard.phases] == ["new", "old"]


def test_event_missing_field_left_out() -> None:
    broken = _raw(
        "palermo.review.desk_review_overdue", {"phase_id": PHASE, "review_id": "x"}
    )

    dashboard = _fold(_opened(), broken)

    assert dashboard.current is not None
    assert dashboard.current.overdue == []
    assert dashboard.events_applied == 2


def test_no_field_ranks_states() -> None:
    names = _field_names(Dashboard)

    assert "days_overdue" in names
    assert not names & {"rank", "ranking", "score", "position", "top"}


def _field_names(cls: Any) -> set[str]:
    names: set[str] = set()
    for item in dataclasses.fields(cls):
        names.add(item.name)
        for nested in _nested_dataclasses(item.type):
            names |= _field_names(nested)
    return names


def _nested_dataclasses(annotation: Any) -> list[Any]:
    if dataclasses.is_dataclass(annotation):
        return [annotation]
    return [
        nested
        for argument in getattr(annotation, "__args__", ())
        for nested in _nested_dataclasses(argument)
    ]
