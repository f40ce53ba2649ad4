"""The review service's HTTP API: observations and completion."""

from typing import Any

import pytest

from palermo_shared.contracts import DeskReviewCompleted
from palermo_shared.events import payload_of


def observation(**changes: Any) -> dict[str, Any]:
    body = {
        "reviewer": "FRA",
        "article": 5,
        "kind": "good_practice",
        "text": "Participation in an organized criminal group is an offence.",
    }
    return {**body, **changes}


async def observe(service, review_id: str, **changes: Any):
    path = f"/reviews/{review_id}/observations"
    return await service.client.post(path, json=observation(**changes))


async def complete(service, review_id: str):
    path = f"/reviews/{review_id}/complete"
    return await service.client.post(path, json={"summary": "Desk review done."})


async def test_unknown_review_not_found(service) -> None:
    get = await service.client.get("/reviews/no-such-review")
    post = await complete(service, "no-such-review")

    assert get.status_code == 404
    assert post.status_code == 404


async def test_observation_recorded(service, started_review) -> None:
    response = await observe(service, started_review)

    assert response.status_code == 201
    [stored] = await service.observations()
    assert stored == response.json()
    assert stored["reviewer"] == "FRA"
    assert stored["article"] == 5


async def test_observation_by_non_reviewer_forbidden(service, started_review) -> None:
    before = await service.review()

    response = await observe(service, started_review, reviewer="DEU")

    assert response.status_code == 403
    assert "DEU" in response.json()["detail"]
    assert await service.review() == before
    assert await service.observations() == []


async def test_observation_outside_cluster_invalid(service, started_review) -> None:
    # Article 18 (mutual legal assistance) belongs to international cooperation.
    before = await service.review()

    response = await observe(service, started_review, article=18)

    assert response.status_code == 422
    assert response.json()["field"] == "article"
    assert await service.review() == before
    assert await service.observations() == []


@pytest.mark.parametrize(
    "changes",
    [
        {"reviewer": "fra"},
        {"article": 0},
        {"kind": "score"},
        {"text": ""},
    ],
)
async def test_observation_malformed_invalid(service, started_review, changes) -> None:
    response = await observe(service, started_review, **changes)

    assert response.status_code == 422
    assert await service.observations() == []


async def test_observation_awaiting_questionnaire_conflicts(
    service, awaiting_review
) -> None:
    before = await service.review()

    response = await observe(service, awaiting_review)

    assert response.status_code == 409
    assert response.json()["current_state"] == "awaiting_questionnaire"
    assert await service.review() == before
    assert await service.observations() == []


async def test_complete_awaiting_questionnaire_conflicts(
    service, awaiting_review
) -> None:
    before = await service.review()

    response = await complete(service, awaiting_review)

    assert response.status_code == 409
    body = response.json()
    assert body["current_state"] == "awaiting_questionnaire"
    assert body["allowed"] == ["receive_questionnaire"]
    assert "awaiting_questionnaire" in body["detail"]
    assert "receive_questionnaire" in body["detail"]
    assert await service.review() == before


async def test_review_completed(service, started_review) -> None:
    response = await complete(service, started_review)

    assert response.status_code == 200
    review = response.json()
    assert review["status"] == "completed"
    assert review["summary"] == "Desk review done."
    assert review["completed_at"] is not None
    assert await service.review() == review


async def test_second_completion_conflicts(service, started_review) -> None:
    await complete(service, started_review)
    before = await service.review()

    response = await complete(service, started_review)

    assert response.status_code == 409
    body = response.json()
    assert body["current_state"] == "completed"
    assert body["allowed"] == []
    assert await service.review() == before


async def test_observation_after_completion_conflicts(service, started_review) -> None:
    await observe(service, started_review)
    await complete(service, started_review)
    before = await service.observations()

    response = await observe(service, started_review, reviewer="BRA")

    assert response.status_code == 409
    assert response.json()["current_state"] == "completed"
    assert await service.observations() == before


async def test_completion_event_counts_observations(service, started_review) -> None:
    await observe(service, started_review)
    await observe(service, started_review, reviewer="BRA", kind="difficulty")
    await observe(service, started_review, article=23)
    await complete(service, started_review)
    await complete(service, started_review)

    await service.wait_for_outbox()

    [envelope] = service.events(DeskReviewCompleted.event_type)
    event = payload_of(envelope)
    assert isinstance(event, DeskReviewCompleted)
    assert event.review_id == started_review
    assert event.observation_count == 3
    assert event.reviewers == ["FRA", "BRA"]
    assert event.state_under_review == "ITA"
