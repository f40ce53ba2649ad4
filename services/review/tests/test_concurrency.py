"""Concurrent writes to desk reviews: every change of stage happens once,
and a request that lost the race gets a conflict or repeats the change,
never a server error.

On PostgreSQL (`--database=postgresql`) the requests' transactions run at
the same time; SQLite runs its writers one at a time."""

import asyncio

from palermo_shared.contracts import (
    DeskReviewCompleted,
    DeskReviewStageChanged,
    ReviewOutcomeSubmitted,
)
from palermo_shared.events import payload_of
from palermo_shared.reference.instruments import Cluster


def stage_changes(service) -> list[tuple[str, str]]:
    envelopes = service.events(DeskReviewStageChanged.event_type)
    return [(p.from_stage, p.to_stage) for p in map(payload_of, envelopes)]


async def test_concurrent_agreements_open_comments(service, staffed_review) -> None:
    await service.observe()
    agreements = [
        service.agree(service.focal_point(state))
        for _ in range(10)
        for state in ("FRA", "BRA")
    ]

    responses = await asyncio.gather(*agreements)
    await service.wait_for_outbox()

    assert {r.status_code for r in responses} <= {200, 409}
    assert (await service.review())["status"] == "commenting"
    assert stage_changes(service)[1:] == [
        ("in_progress", "agreeing"),
        ("agreeing", "commenting"),
    ]


async def test_concurrent_completion_once(service, staffed_review) -> None:
    assert (await service.observe()).status_code == 201
    await service.agree_both()
    assert (await service.waive()).status_code == 200

    responses = await asyncio.gather(*(service.complete() for _ in range(20)))
    await service.wait_for_outbox()

    assert sorted(r.status_code for r in responses) == [200] + [409] * 19
    assert stage_changes(service)[-2:] == [
        ("agreeing", "commenting"),
        ("commenting", "completed"),
    ]
    assert len(service.events(DeskReviewCompleted.event_type)) == 1
    assert len(service.events(ReviewOutcomeSubmitted.event_type)) == 1


async def test_concurrent_appointment_once(service, started_review) -> None:
    await service.name_focal_points()

    responses = await asyncio.gather(
        *(service.appoint_expert("FRA") for _ in range(20))
    )
    experts = await service.client.get(
        service.url("/experts"), headers=service.secretariat
    )

    assert {r.status_code for r in responses} == {201}
    [expert] = experts.json()
    assert expert["state"] == "FRA"


async def test_appointments_in_both_orders(service) -> None:
    clusters = (Cluster.CRIMINALIZATION, Cluster.INTERNATIONAL_COOPERATION)
    await service.publish(service.lots_drawn(clusters))
    for cluster in clusters:
        await service.publish(service.questionnaire_submitted(cluster))
    await service.wait_for_handled(3)
    await service.name_focal_points()
    first, second = (service.review_id(cluster) for cluster in clusters)
    appointments = [
        appointment
        for _ in range(10)
        for appointment in (
            service.appoint_expert("FRA", first, second),
            service.appoint_expert("BRA", second, first),
        )
    ]

    responses = await asyncio.gather(*appointments)

    assert {r.status_code for r in responses} == {201}
    for rid in (first, second):
        experts = await service.client.get(
            f"/reviews/{rid}/experts", headers=service.secretariat
        )
        assert sorted(e["state"] for e in experts.json()) == ["BRA", "FRA"]


async def test_concurrent_focal_point_naming(service, started_review) -> None:
    await asyncio.gather(*(service.name_focal_points() for _ in range(10)))

    review = await service.review()

    named = sorted((f["state"], f["scope"]) for f in review["focal_points"])
    assert named == [("BRA", "phase"), ("FRA", "phase"), ("ITA", "phase")]
