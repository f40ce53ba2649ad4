"""Dashboard projection: rebuilding it from a log of encoded events.

Builds a log of realistic events with the real contracts: review phases over
every State party to each instrument in the reference data, each with its
draw, a redraw for one review in twenty, questionnaire submissions, their
technical assistance needs, desk reviews going through their stages,
some overdue, their completion, and the notifications. The log is encoded
as the bus carries it, then the projection is rebuilt from it: each event
decoded into its envelope and folded in, as the gateway does at start.
The whole log is then applied a second time, as after a replay, and must
change nothing.
"""

import datetime as dt
import itertools
import os
import time
import uuid
from collections.abc import Callable, Iterator

# Run as `python bench/dashboard.py`, so bench/ is on the import path.
from results import record

from palermo_gateway.dashboard.feed import reference_regional_groups
from palermo_gateway.dashboard.projection import DashboardProjection
from palermo_shared.contracts import (
    DeskReviewCompleted,
    DeskReviewStarted,
    DrawnReviewer,
    LotsDrawn,
    LotsRedrawn,
    MeetingReference,
    NotificationDelivered,
    QuestionnaireSubmitted,
    ReviewPhaseOpened,
    TechnicalAssistanceNeed,
    TechnicalAssistanceNeedsIdentified,
)
from palermo_shared.events import Envelope, EventPayload, decode, encode, new_event
from palermo_shared.reference.instruments import ARTICLES, Cluster, Instrument
from palermo_shared.reference.states import load_states

MIN_EVENTS = 200_000
TARGET_EVENTS_PER_SECOND = 20_000
CLUSTERS = [Cluster.CRIMINALIZATION, Cluster.INTERNATIONAL_COOPERATION]
DRAW_DATE = dt.date(2025, 1, 1)
STAGES = ("awaiting_questionnaire", "in_progress", "agreeing", "commenting")
MEETING = MeetingReference(
    meeting_id="bench", kind="intersessional", date=DRAW_DATE, states_present=[]
)


def _event(payload: EventPayload, subject: str) -> Envelope:
    return new_event(payload, source="/bench", subject=subject)


def _raw(event_type: str, subject: str, data: dict[str, object]) -> Envelope:
    """Wrap a review-stage event, whose contract may not be registered yet."""
    return Envelope(
        id=str(uuid.uuid4()),
        source="/bench",
        type=event_type,
        schemaversion=1,
        subject=subject,
        time=dt.datetime.now(dt.UTC),
        correlationid=str(uuid.uuid4()),
        data=data,
    )


def parties() -> dict[Instrument, list[str]]:
    states = load_states()
    return {
        instrument: sorted(
            iso3
            for iso3, state in states.items()
            if state.regional_group and state.party_to(instrument, DRAW_DATE)
        )
        for instrument in Instrument
    }


def phase_events(
    phase_id: str, states: dict[Instrument, list[str]]
) -> Iterator[Envelope]:
    yield _event(
        ReviewPhaseOpened(
            phase_id=phase_id,
            years="III-VI",
            clusters=CLUSTERS,
            instruments=list(states),
            working_groups={},
            draw_date=DRAW_DATE,
            states_under_review=states,
        ),
        f"phase/{phase_id}",
    )
    groups = reference_regional_groups()
    for instrument, members in states.items():
        for index, state in enumerate(members):
            yield from _review_events(phase_id, instrument, state, groups, index)


def _review_events(
    phase_id: str,
    instrument: Instrument,
    state: str,
    groups: dict[str, str | None],
    index: int,
) -> Iterator[Envelope]:
    subject = f"{state}/{instrument.value}"
    reviewers = [
        DrawnReviewer(
            iso3="NGA",
            regional_group="African",
            legal_system=None,
            role="same_regional_group",
        ),
        DrawnReviewer(
            iso3="BRA",
            regional_group="Latin American and Caribbean",
            legal_system=None,
            role="other_regional_group",
        ),
    ]
    group = groups[state] or "none"
    yield _event(
        LotsDrawn(
            phase_id=phase_id,
            instrument=instrument,
            state_under_review=state,
            regional_group=group,
            clusters=CLUSTERS,
            reviewers=reviewers,
            similar_legal_system=True,
        ),
        subject,
    )
    if index % 20 == 0:
        yield _event(
            LotsRedrawn(
                phase_id=phase_id,
                instrument=instrument,
                state_under_review=state,
                regional_group=group,
                clusters=CLUSTERS,
                reviewers=reviewers,
                replaced=["GHA"],
                redraw_number=1,
                requested_by=state,
                reason="conflict of interest",
                similar_legal_system=True,
                meeting=MEETING,
            ),
            subject,
        )
    for cluster in CLUSTERS:
        if cluster in ARTICLES[instrument]:
            yield from _cluster_events(phase_id, instrument, cluster, state, index)


def _cluster_events(
    phase_id: str, instrument: Instrument, cluster: Cluster, state: str, index: int
) -> Iterator[Envelope]:
    subject = f"{state}/{instrument.value}/{cluster.value}"
    now = dt.datetime.now(dt.UTC)
    unit = {
        "phase_id": phase_id,
        "state_under_review": state,
        "instrument": instrument.value,
        "cluster": cluster.value,
    }
    response_id, review_id = str(uuid.uuid4()), str(uuid.uuid4())
    yield _event(
        QuestionnaireSubmitted(
            response_id=response_id,
            questionnaire_id="q",
            phase_id=phase_id,
            state=state,
            instrument=instrument,
            cluster=cluster,
            submitted_at=now,
        ),
        subject,
    )
    needs = [
        TechnicalAssistanceNeed(article=5, type="legal_advice", priority="medium")
    ] * (index % 3)
    yield _event(
        TechnicalAssistanceNeedsIdentified(
            response_id=response_id,
            response_version=1,
            phase_id=phase_id,
            state=state,
            instrument=instrument,
            cluster=cluster,
            working_group="international_cooperation",
            needs=needs,
            identified_at=now,
        ),
        subject,
    )
    yield _event(
        DeskReviewStarted(review_id=review_id, reviewers=["NGA", "BRA"], **unit),
        subject,
    )
    for from_stage, to_stage in itertools.pairwise(STAGES):
        yield _stage_changed(unit, review_id, from_stage, to_stage)
    if index % 7 == 0:
        yield _raw(
            "palermo.review.desk_review_overdue",
            subject,
            {
                **unit,
                "review_id": review_id,
                "stage": STAGES[-1],
                "due_at": now.isoformat(),
                "days_overdue": index % 30,
            },
        )
    else:
        yield _stage_changed(unit, review_id, STAGES[-1], "completed")
        yield _event(
            DeskReviewCompleted(
                review_id=review_id,
                reviewers=["NGA", "BRA"],
                observation_count=1,
                completed_at=now,
                **unit,
            ),
            subject,
        )
    yield _event(
        NotificationDelivered(
            notification_id=str(uuid.uuid4()),
            event_id=review_id,
            notified_event_type="palermo.review.desk_review_completed",
            recipient_state=state,
            channel="inbox",
            delivered_at=now,
        ),
        subject,
    )


def _stage_changed(
    unit: dict[str, str], review_id: str, from_stage: str, to_stage: str
) -> Envelope:
    subject = f"{unit['state_under_review']}/{unit['instrument']}/{unit['cluster']}"
    data = {
        **unit,
        "review_id": review_id,
        "regional_group": None,
        "from_stage": from_stage,
        "to_stage": to_stage,
        "changed_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    return _raw("palermo.review.desk_review_stage_changed", subject, data)


def build_log() -> tuple[list[bytes], int]:
    """Return encoded events of enough phases to pass `MIN_EVENTS`, and the phases."""
    states = parties()
    log: list[bytes] = []
    phases = 0
    while len(log) < MIN_EVENTS:
        phases += 1
        log.extend(encode(e) for e in phase_events(str(uuid.uuid4()), states))
    return log, phases


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def rebuild(log: list[bytes], projection: DashboardProjection) -> None:
    for raw in log:
        projection.apply(decode(raw))


def view_milliseconds(projection: DashboardProjection, runs: int = 20) -> float:
    """Return the median time to compute the figures of the latest phase."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        projection.dashboard()
        times.append(time.perf_counter() - started)
    return sorted(times)[runs // 2] * 1000


def main() -> None:
    log, phases = build_log()
    envelopes = [decode(raw) for raw in log]
    projection = DashboardProjection(reference_regional_groups())
    runs = {
        "rebuild: decode and fold": timed(lambda: rebuild(log, projection)),
        "replay of the same log: decode and fold": timed(
            lambda: rebuild(log, projection)
        ),
        "decode only": timed(lambda: [decode(raw) for raw in log]),
        "fold only, into a new projection": timed(
            lambda: DashboardProjection(reference_regional_groups()).apply_all(
                envelopes
            )
        ),
    }
    figures_ms = view_milliseconds(projection)
    unchanged = replay_changes_nothing(log)
    load = os.getloadavg()[0]

    rate = len(log) / runs["rebuild: decode and fold"]
    verdict = "meets" if rate >= TARGET_EVENTS_PER_SECOND else "misses"
    rows = "\n".join(
        f"| {name} | {seconds:.2f} | {len(log) / seconds:,.0f} |"
        for name, seconds in runs.items()
    )
    body = (
        f"Rebuild of the projection from {len(log):,} encoded events "
        f"({phases} review phases over every State party to each instrument), "
        "one process. The rebuild decodes each event into its envelope and folds "
        "it in, as the gateway does at start. Load average over the last minute "
        f"when it ended: {load:.1f} (the machine is shared).\n\n"
        "| run | seconds | events/s |\n| --- | --- | --- |\n"
        f"{rows}\n\n"
        f"The rebuild {verdict} the target of {TARGET_EVENTS_PER_SECOND:,} "
        f"events/s. Replaying the log changed the figures: "
        f"{'no' if unchanged else 'yes'}. Computing the figures of one phase "
        f"(what `GET /api/v1/dashboard` returns) takes {figures_ms:.1f} ms, "
        "median of 20."
    )
    record("dashboard", "Dashboard projection rebuild", body)
    print(body)


def replay_changes_nothing(log: list[bytes]) -> bool:
    projection = DashboardProjection(reference_regional_groups())
    rebuild(log, projection)
    before = projection.dashboard()
    rebuild(log, projection)
    after = projection.dashboard()
    return (after.events_applied, after.current) == (
        before.events_applied,
        before.current,
    )


if __name__ == "__main__":
    main()
