"""A desk review follows a redraw of its reviewers until it is completed."""

import datetime as dt

import pytest

from palermo_review.access import NO_ACCESS
from palermo_review.observations import agree
from palermo_shared.auth import LocalIssuer, Principal, Role
from palermo_shared.contracts import (
    DeskReviewReviewersChanged,
    DeskReviewStageChanged,
    DrawnReviewer,
    LotsRedrawn,
    MeetingReference,
)
from palermo_shared.events import payload_of
from palermo_shared.reference.instruments import Cluster

ARGENTINA = DrawnReviewer(
    iso3="ARG",
    regional_group="Latin American and Caribbean",
    legal_system="civil_law",
    role="other_regional_group",
)
PORTUGAL = DrawnReviewer(
    iso3="PRT",
    regional_group="Western European and Others",
    legal_system="civil_law",
    role="same_regional_group",
)


def redrawn(service, *, both: bool = False) -> LotsRedrawn:
    """Return a redraw replacing Brazil by Argentina, and France by Portugal
    if `both`."""
    drawn = service.lots_drawn()
    same = PORTUGAL if both else drawn.reviewers[0]
    return LotsRedrawn(
        phase_id=drawn.phase_id,
        instrument=drawn.instrument,
        state_under_review=drawn.state_under_review,
        regional_group=drawn.regional_group,
        clusters=[Cluster.CRIMINALIZATION],
        reviewers=[same, ARGENTINA],
        replaced=["FRA", "BRA"] if both else ["BRA"],
        redraw_number=1,
        requested_by="BRA",
        reason="Conflict of interest of the drawn reviewer",
        similar_legal_system=True,
        meeting=MeetingReference(
            meeting_id="m-1",
            kind="regular_session",
            date=dt.date(2026, 12, 4),
            states_present=["ITA", "FRA", "BRA", "ARG", "PRT"],
        ),
    )


def changes(service) -> list[DeskReviewReviewersChanged]:
    envelopes = service.events(DeskReviewReviewersChanged.event_type)
    return [payload_of(e) for e in envelopes]


def stage_changes(service) -> list[tuple[str, str]]:
    envelopes = service.events(DeskReviewStageChanged.event_type)
    payloads = [payload_of(e) for e in envelopes]
    return [(p.from_stage, p.to_stage) for p in payloads]


async def test_redraw_hands_review_over(service, started_review: str) -> None:
    await service.publish(redrawn(service))
    await service.wait_for_handled(3)

    review = await service.review()
    [change] = changes(service)
    assert review["reviewers"] == ["FRA", "ARG"]
    assert review["status"] == "in_progress"
    assert change.added == ["ARG"]
    assert change.removed == ["BRA"]
    assert change.redraw_number == 1


async def test_replaced_reviewer_loses_access(service, staffed_review: str) -> None:
    await service.name_focal_points("ARG")
    await service.publish(redrawn(service))
    await service.wait_for_handled(3)

    old_read = await service.client.get(service.url(), headers=service.expert("BRA"))
    old = await service.observe("BRA")
    appointed = await service.appoint_expert("ARG")
    new = await service.observe("ARG")

    assert old_read.status_code == 403
    assert old.status_code == 403
    assert appointed.status_code == 201
    assert new.status_code == 201


async def test_replaced_focal_point_cannot_appoint(
    service, staffed_review: str
) -> None:
    await service.publish(redrawn(service))
    await service.wait_for_handled(3)

    response = await service.appoint_expert("BRA")

    assert response.status_code == 403
    assert response.json()["detail"] == NO_ACCESS


async def test_replaced_reviewer_experts_not_listed(
    service, staffed_review: str
) -> None:
    await service.name_focal_points("ARG")
    await service.publish(redrawn(service))
    await service.wait_for_handled(3)
    await service.appoint_expert("ARG")

    listed = await service.client.get(
        service.url("/experts"), headers=service.secretariat
    )

    assert listed.status_code == 200
    states = [expert["state"] for expert in listed.json()]
    assert "BRA" not in states
    assert "ARG" in states


async def test_completed_review_keeps_reviewers(service, staffed_review: str) -> None:
    await service.complete_fully()

    await service.publish(redrawn(service))
    await service.wait_for_handled(3)

    review = await service.review()
    assert review["reviewers"] == ["FRA", "BRA"]
    assert changes(service) == []


async def test_redraw_in_comment_period_returns_to_agreeing(
    service, staffed_review: str
) -> None:
    await service.name_focal_points("ARG")
    assert (await service.observe()).status_code == 201
    await service.agree_both()
    assert (await service.review())["status"] == "commenting"

    await service.publish(redrawn(service))
    await service.wait_for_handled(3)
    review = await service.review()
    agreements = await service.client.get(
        service.url("/agreements"), headers=service.secretariat
    )
    agreed = await service.agree(service.focal_point("ARG"))

    assert review["status"] == "agreeing"
    assert review["comment_period_started_at"] is None
    assert [a["state"] for a in agreements.json()] == ["FRA"]
    assert agreed.status_code == 200
    assert agreed.json()["status"] == "commenting"


async def test_redraw_waits_for_agreement_commit(service, staffed_review: str) -> None:
    """A redraw consumed while the replaced State's agreement commits applies
    to the stage that agreement left, not to the stage before it."""
    if service.runtime.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time, so nothing overlaps")
    assert (await service.observe()).status_code == 201
    assert (await service.agree(service.focal_point("FRA"))).status_code == 200
    brazil = Principal(
        LocalIssuer.subject(Role.FOCAL_POINT, "BRA"), Role.FOCAL_POINT, "BRA"
    )

    async with service.runtime.transaction() as session:
        agreed = await agree(session, brazil, service.review_id(), service.clock())
        assert agreed.status == "commenting"
        await service.publish(redrawn(service))
        await service.wait_for_lock_wait()
    await service.wait_for_handled(3)
    review = await service.review()
    agreements = await service.client.get(
        service.url("/agreements"), headers=service.secretariat
    )

    assert review["reviewers"] == ["FRA", "ARG"]
    assert review["status"] == "agreeing"
    assert [a["state"] for a in agreements.json()] == ["FRA"]


async def test_redraw_of_only_agreement_reopens(service, staffed_review: str) -> None:
    assert (await service.observe()).status_code == 201
    assert (await service.agree(service.focal_point("BRA"))).status_code == 200

    await service.publish(redrawn(service))
    await service.wait_for_handled(3)
    review = await service.review()
    agreements = await service.client.get(
        service.url("/agreements"), headers=service.secretariat
    )
    observed = await service.observe()

    assert review["status"] == "in_progress"
    assert agreements.json() == []
    assert stage_changes(service)[-1] == ("agreeing", "in_progress")
    assert observed.status_code == 201


async def test_redraw_keeping_agreement_stays_agreeing(
    service, staffed_review: str
) -> None:
    assert (await service.observe()).status_code == 201
    # The expert's agreement waits for clearance, so the review stays agreeing.
    assert (await service.agree(service.expert("FRA"))).status_code == 200
    assert (await service.agree(service.focal_point("BRA"))).status_code == 200

    await service.publish(redrawn(service))
    await service.wait_for_handled(3)
    review = await service.review()

    assert review["status"] == "agreeing"
    assert stage_changes(service)[-1] == ("in_progress", "agreeing")


async def test_redraw_of_both_in_comment_period_reopens(
    service, staffed_review: str
) -> None:
    assert (await service.observe()).status_code == 201
    await service.agree_both()

    await service.publish(redrawn(service, both=True))
    await service.wait_for_handled(3)
    review = await service.review()

    assert review["reviewers"] == ["PRT", "ARG"]
    assert review["status"] == "in_progress"
    assert review["comment_period_started_at"] is None
    assert stage_changes(service)[-1] == ("commenting", "in_progress")
