"""The evaluation figures, the trends report and follow-up of earlier reviews."""

import re

from palermo_shared.contracts import QuestionnaireSubmitted
from palermo_shared.reference.instruments import Cluster
from palermo_shared.reference.states import load_states

REQUEST = {"kind": "clarification", "text": "Which law?", "due_date": "2026-03-01"}


async def evaluation(service) -> list[dict]:
    response = await service.client.get(
        "/evaluation", params={"phase_id": "phase-1"}, headers=service.secretariat
    )
    assert response.status_code == 200, response.text
    return response.json()["groups"]


async def test_evaluation_known_scenario(service, awaiting_review) -> None:
    # Lots at day 0, questionnaire at day 2, two requests, agreement at day 12,
    # comments open at day 14 and completion at day 20.
    service.clock.advance(days=2)
    await service.publish(service.questionnaire_submitted())
    await service.wait_for_handled(2)
    await service.name_focal_points()
    for state in ("FRA", "BRA"):
        await service.appoint_expert(state)
    await service.observe()
    for _ in range(2):
        await service.client.post(
            service.url("/requests"), json=REQUEST, headers=service.expert("BRA")
        )
    service.clock.advance(days=10)
    await service.agree(service.focal_point("FRA"))
    service.clock.advance(days=2)
    await service.agree(service.focal_point("BRA"))
    service.clock.advance(days=6)
    await service.waive()
    await service.complete()

    [group] = await evaluation(service)

    assert (
        group["working_group"] == "international_cooperation_and_technical_assistance"
    )
    assert group["cluster"] == "criminalization"
    assert group["reviews"] == 1
    assert group["completed"] == 1
    assert group["information_requests"] == 2
    assert group["mean_days_in_stage"] == {
        "awaiting_questionnaire": 2.0,
        "in_progress": 10.0,
        "agreeing": 2.0,
        "commenting": 6.0,
    }


async def test_evaluation_counts_open_stage(service, started_review) -> None:
    service.clock.advance(days=3)
    await service.publish(service.lots_drawn((Cluster.INTERNATIONAL_COOPERATION,)))
    await service.wait_for_handled(3)

    groups = await evaluation(service)

    by_cluster = {g["cluster"]: g for g in groups}
    assert by_cluster["criminalization"]["mean_days_in_stage"]["in_progress"] == 3.0
    assert by_cluster["international_cooperation"]["completed"] == 0


async def test_trends_name_no_state(service, staffed_review) -> None:
    await service.observe(text="Italy and France: good practice.")
    await service.observe("BRA", kind="difficulty", article=6)
    await service.observe("BRA", kind="difficulty", article=6)
    await service.agree_both()
    await service.waive()
    await service.complete()

    response = await service.client.get("/trends", headers=service.secretariat)

    body = response.json()
    assert body["by_kind"] == {"difficulty": 2, "good_practice": 1}
    assert body["by_instrument"] == {"convention": 3}
    rows = {(r["article"], r["kind"]): r["observations"] for r in body["rows"]}
    assert rows == {(5, "good_practice"): 1, (6, "difficulty"): 2}
    states = load_states().values()
    codes = set(re.findall(r"[A-Z]{3}", response.text))
    assert codes.isdisjoint({s.iso3 for s in states})
    for state in states:
        assert state.name not in response.text


async def test_trends_skip_open_reviews(service, staffed_review) -> None:
    await service.observe()

    response = await service.client.get("/trends", headers=service.secretariat)

    assert response.json()["rows"] == []


async def test_later_review_sees_earlier_observations(service, staffed_review) -> None:
    await service.complete_fully()
    cooperation = Cluster.INTERNATIONAL_COOPERATION
    await service.publish(service.lots_drawn((cooperation,)))
    await service.publish(
        QuestionnaireSubmitted(
            **{
                **service.questionnaire_submitted().model_dump(),
                "cluster": cooperation,
                "response_id": "response-cooperation",
            }
        )
    )
    await service.wait_for_handled(4)
    later = service.review_id(cooperation)

    response = await service.client.get(
        f"/reviews/{later}/earlier-observations", headers=service.focal_point("ITA")
    )
    earlier = await service.client.get(
        service.url("/earlier-observations"), headers=service.secretariat
    )

    assert response.status_code == 200
    [item] = response.json()
    assert item["review_id"] == staffed_review
    assert item["cluster"] == "criminalization"
    assert item["article"] == 5
    assert earlier.json() == []
