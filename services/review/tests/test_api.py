"""The review service's HTTP API: observations and completion."""

import pytest

from palermo_shared.contracts import DeskReviewCompleted, ReviewOutcomeSubmitted
from palermo_shared.events import payload_of


async def test_unknown_review_not_found(service) -> None:
    get = await service.client.get("/reviews/no-such", headers=service.secretariat)
    post = await service.client.post(
        "/reviews/no-such/complete", json={}, headers=service.secretariat
    )

    assert get.status_code == 404
    assert post.status_code == 404


async def test_unauthenticated_rejected(service, started_review) -> None:
    response = await service.client.get(f"/reviews/{started_review}")

    assert response.status_code == 401


async def test_observation_recorded(service, staffed_review) -> None:
    response = await service.observe()

    assert response.status_code == 201
    [stored] = await service.observations()
    assert stored == response.json()
    assert stored["reviewer"] == "FRA"
    assert stored["article"] == 5
    assert stored["published"] is False


async def test_observation_by_unappointed_expert_forbidden(
    service, started_review
) -> None:
    await service.name_focal_points()
    before = await service.review()

    response = await service.observe("FRA")

    assert response.status_code == 403
    assert await service.review() == before
    assert await service.observations() == []


async def test_observation_outside_cluster_invalid(service, staffed_review) -> None:
    # Article 18 (mutual legal assistance) belongs to international cooperation.
    before = await service.review()

    response = await service.observe(article=18)

    assert response.status_code == 422
    assert response.json()["field"] == "article"
    assert await service.review() == before
    assert await service.observations() == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"article": 0}, "article"),
        ({"article": "5"}, "article"),
        ({"article": True}, "article"),
        ({"article": 5.0}, "article"),
        ({"kind": "score"}, "kind"),
        ({"text": ""}, "text"),
        ({"text": " \n\t "}, "must not be blank"),
    ],
)
async def test_observation_malformed_invalid(
    service, staffed_review, changes, field
) -> None:
    response = await service.observe(**changes)

    assert response.status_code == 422
    assert field in response.text
    assert await service.observations() == []


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b"])
async def test_observation_control_character_invalid(
    service, staffed_review, character
) -> None:
    response = await service.observe(text=f"An offence{character}.")

    [problem] = response.json()["problems"]
    assert response.status_code == 422
    assert response.json()["field"] == "text"
    assert f"U+{ord(character):04X}" in problem["message"]
    assert await service.observations() == []


async def test_observation_keeps_line_breaks(service, staffed_review) -> None:
    text = "First finding.\r\n\tSecond finding."

    response = await service.observe(text=text)

    assert response.status_code == 201
    [stored] = await service.observations()
    assert stored["text"] == text


async def test_observation_awaiting_questionnaire_conflicts(
    service, awaiting_review
) -> None:
    await service.name_focal_points()
    assert (await service.appoint_expert("FRA")).status_code == 201
    before = await service.review()

    response = await service.observe()

    assert response.status_code == 409
    assert response.json()["current_state"] == "awaiting_questionnaire"
    assert await service.review() == before
    assert await service.observations() == []


async def test_complete_in_progress_names_missing(service, staffed_review) -> None:
    await service.observe()
    before = await service.review()

    response = await service.complete()

    assert response.status_code == 409
    body = response.json()
    assert body["current_state"] == "in_progress"
    assert "agree" in body["allowed"]
    assert len(body["missing"]) == 3
    assert "FRA" in body["detail"]
    assert "BRA" in body["detail"]
    assert await service.review() == before


async def test_review_completed(service, staffed_review) -> None:
    review = await service.complete_fully()

    assert review["status"] == "completed"
    assert review["summary"] == "Desk review done."
    assert review["completed_at"] == "2026-01-05T09:00:00Z"
    assert await service.review() == review


async def test_second_completion_conflicts(service, staffed_review) -> None:
    await service.complete_fully()
    before = await service.review()

    response = await service.complete()

    assert response.status_code == 409
    body = response.json()
    assert body["current_state"] == "completed"
    assert "complete" not in body["allowed"]
    assert await service.review() == before


async def test_observation_after_completion_conflicts(service, staffed_review) -> None:
    await service.complete_fully()
    before = await service.observations()

    response = await service.observe("BRA")

    assert response.status_code == 409
    assert response.json()["current_state"] == "completed"
    assert await service.observations() == before


async def test_completion_without_summary_invalid(service, staffed_review) -> None:
    await service.observe()
    await service.agree_both()
    await service.waive()
    before = await service.review()

    response = await service.client.post(
        service.url("/complete"), json={}, headers=service.expert("FRA")
    )

    assert response.status_code == 422
    assert response.json()["field"] == "summary"
    assert await service.review() == before


async def test_completion_publishes_outcome(service, staffed_review) -> None:
    await service.observe()
    await service.observe("BRA", kind="difficulty")
    await service.observe(article=23)
    await service.agree_both()
    await service.waive()
    await service.complete()
    await service.complete()

    await service.wait_for_outbox()

    [completed] = service.events(DeskReviewCompleted.event_type)
    event = payload_of(completed)
    assert isinstance(event, DeskReviewCompleted)
    assert event.review_id == staffed_review
    assert event.observation_count == 3
    assert event.reviewers == ["FRA", "BRA"]
    assert event.state_under_review == "ITA"
    [submitted] = service.events(ReviewOutcomeSubmitted.event_type)
    outcome = payload_of(submitted)
    assert isinstance(outcome, ReviewOutcomeSubmitted)
    assert outcome.summary == "Desk review done."
    assert len(outcome.observations) == 3
    assert outcome.comments == "waived"
    assert outcome.working_group == "international_cooperation_and_technical_assistance"
    assert outcome.submitted_to == ["working_group", "conference_of_the_parties"]


async def test_no_ranking_field_anywhere(service, staffed_review) -> None:
    await service.complete_fully()
    schema = (await service.client.get("/openapi.json")).text.lower()
    review = str(await service.review()).lower()

    for word in ("score", "grade", "rank"):
        assert word not in schema
        assert word not in review


async def test_reappointment_keeps_appointment_date(service, staffed_review) -> None:
    first = (await service.appoint_expert("FRA")).json()[0]
    service.clock.advance(days=3)

    again = await service.appoint_expert("FRA")

    assert again.status_code == 201
    assert again.json()[0]["id"] == first["id"]
    assert again.json()[0]["appointed_at"] == first["appointed_at"]
