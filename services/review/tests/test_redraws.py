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

OBSERVATION = {
    "article": 5,
    "kind": "good_practice",
    "text": "Offences are defined in the penal code.",
}


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


async def test_replaced_reviewer_loses_access(service, started_review: str) -> None:
    await service.publish(redrawn(service))
    await service.wait_for_handled(3)

    url = f"/reviews/{started_review}/observations"
    old = await service.client.post(url, json={**OBSERVATION, "reviewer": "BRA"})
    new = await service.client.post(url, json={**OBSERVATION, "reviewer": "ARG"})

    assert old.status_code == 403
    assert new.status_code == 201


async def test_completed_review_keeps_reviewers(service, started_review: str) -> None:
    url = f"/reviews/{started_review}/complete"
    completed = await service.client.post(url, json={"summary": "Done."})
    assert completed.status_code == 200

    await service.publish(redrawn(service))
    await service.wait_for_handled(3)

    review = await service.review()
    assert review["reviewers"] == ["FRA", "BRA"]
    assert changes(service) == []
