"""A desk review follows a redraw of its reviewers until it is completed."""

import datetime as dt

from palermo_shared.contracts import (
    DeskReviewReviewersChanged,
    DrawnReviewer,
    LotsRedrawn,
    MeetingReference,
)
from palermo_shared.events import payload_of
from palermo_shared.reference.instruments import Cluster


def redrawn(service) -> LotsRedrawn:
    drawn = service.lots_drawn()
    replacement = DrawnReviewer(
        iso3="ARG",
        regional_group="Latin American and Caribbean",
        legal_system="civil_law",
        role="other_regional_group",
    )
    return LotsRedrawn(
        phase_id=drawn.phase_id,
        instrument=drawn.instrument,
        state_under_review=drawn.state_under_review,
        regional_group=drawn.regional_group,
        clusters=[Cluster.CRIMINALIZATION],
        reviewers=[drawn.reviewers[0], replacement],
        replaced=["BRA"],
        redraw_number=1,
        requested_by="BRA",
        reason="Conflict of interest of the drawn reviewer",
        similar_legal_system=True,
        meeting=MeetingReference(
            meeting_id="m-1",
            kind="regular_session",
            date=dt.date(2026, 12, 4),
            states_present=["ITA", "FRA", "BRA", "ARG"],
        ),
    )


def changes(service) -> list[DeskReviewReviewersChanged]:
    envelopes = service.events(DeskReviewReviewersChanged.event_type)
    return [payload_of(e) for e in envelopes]


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
    assert response.json()["detail"] == "you have no access to this desk review"


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


async def test_redraw_in_agreeing_withdraws_replaced_agreement(
    service, staffed_review: str
) -> None:
    assert (await service.observe()).status_code == 201
    assert (await service.agree(service.focal_point("BRA"))).status_code == 200

    await service.publish(redrawn(service))
    await service.wait_for_handled(3)
    review = await service.review()
    agreements = await service.client.get(
        service.url("/agreements"), headers=service.secretariat
    )

    assert review["status"] == "agreeing"
    assert agreements.json() == []
