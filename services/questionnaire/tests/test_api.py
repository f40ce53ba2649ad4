"""The questionnaire service's HTTP API: questionnaires, drafts, submissions."""

from typing import Any

import pytest

from palermo_shared.contracts import QuestionnaireSubmitted
from palermo_shared.events import payload_of
from palermo_shared.reference.instruments import Instrument

CRIMINALIZATION = "/phases/phase-1/responses/{state}/convention/criminalization"


def response_path(state: str = "ITA") -> str:
    return CRIMINALIZATION.format(state=state)


async def stored_response(service, state: str = "ITA") -> dict[str, Any] | None:
    response = await service.client.get(response_path(state))
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def save(service, answers: dict[str, Any], state: str = "ITA"):
    return await service.client.put(response_path(state), json={"answers": answers})


async def test_uncac_party_skips_articles_8_and_9(service, phase) -> None:
    questionnaire = await service.questionnaire("FRA", "convention", "criminalization")

    articles = [q["article"] for q in questionnaire["questions"]]
    assert articles == [2, 5, 6, 10, 15, 23]


async def test_non_uncac_party_gets_articles_8_and_9(service, phase) -> None:
    questionnaire = await service.questionnaire("MCO", "convention", "criminalization")

    articles = [q["article"] for q in questionnaire["questions"]]
    assert articles == [2, 5, 6, 8, 9, 10, 15, 23]


async def test_questionnaire_state_code_case(service, phase) -> None:
    questionnaire = await service.questionnaire("fra", "convention", "criminalization")

    assert questionnaire["id"] == "convention.criminalization.v1"


async def test_unknown_phase_not_found(service, phase) -> None:
    response = await service.client.get(
        "/phases/no-such-phase/questionnaires/convention/criminalization",
        params={"state": "ITA"},
    )

    assert response.status_code == 404


async def test_unknown_state_not_found(service, phase) -> None:
    get = await service.client.get(
        "/phases/phase-1/questionnaires/convention/criminalization",
        params={"state": "XXX"},
    )
    put = await save(service, {}, state="XXX")

    assert get.status_code == 404
    assert "XXX" in get.json()["detail"]
    assert put.status_code == 404
    assert await stored_response(service, "XXX") is None


async def test_non_party_state_invalid(service, phase) -> None:
    # France is not party to the Firearms Protocol.
    response = await service.client.get(
        "/phases/phase-1/questionnaires/firearms/criminalization",
        params={"state": "FRA"},
    )

    assert response.status_code == 422
    assert response.json()["field"] == "state"
    assert "FRA" in response.json()["detail"]


async def test_cluster_not_in_phase_invalid(service, phase) -> None:
    response = await service.client.get(
        "/phases/phase-1/questionnaires/convention/prevention",
        params={"state": "ITA"},
    )

    assert response.status_code == 422
    assert response.json()["field"] == "cluster"


async def test_instrument_not_in_phase_invalid(service, phase) -> None:
    response = await service.client.get(
        "/phases/phase-1/questionnaires/trafficking_in_persons/criminalization",
        params={"state": "ITA"},
    )

    assert response.status_code == 422
    assert response.json()["field"] == "instrument"


async def test_instrument_without_cluster_invalid(service) -> None:
    # Law enforcement is reviewed in years VII-X, but the Firearms Protocol
    # has no such cluster, so there is nothing to answer.
    await service.open_phase(
        "phase-2", "VII-X", (Instrument.CONVENTION, Instrument.FIREARMS)
    )
    path = "/phases/phase-2/responses/ITA/firearms/law_enforcement"

    get = await service.client.get(
        "/phases/phase-2/questionnaires/firearms/law_enforcement",
        params={"state": "ITA"},
    )
    put = await service.client.put(path, json={"answers": {}})

    assert get.status_code == 422
    assert get.json()["field"] == "cluster"
    assert put.status_code == 422
    assert (await service.client.get(path)).status_code == 404


async def test_draft_saved(service, phase) -> None:
    answers = {"article-5": {"implementation": "yes"}}

    response = await save(service, answers)

    assert response.status_code == 200
    draft = response.json()
    assert draft["status"] == "draft"
    assert draft["revision"] == 1
    assert draft["answers"] == answers
    assert draft["submitted_at"] is None
    assert await stored_response(service) == draft


async def test_draft_resaved(service, phase) -> None:
    await save(service, {"article-5": {"implementation": "yes"}})
    answers = {"article-6": {"implementation": "no", "explanation": "Pending bill."}}

    response = await save(service, answers)

    assert response.status_code == 200
    draft = response.json()
    assert draft["revision"] == 2
    assert draft["answers"] == answers
    assert await stored_response(service) == draft


async def test_unknown_question_invalid(service, phase) -> None:
    await save(service, {"article-5": {"implementation": "yes"}})
    before = await stored_response(service)

    response = await save(service, {"article-99": {"implementation": "yes"}})

    assert response.status_code == 422
    assert response.json()["field"] == "answers.article-99"
    assert await stored_response(service) == before


async def test_excluded_article_invalid(service, phase) -> None:
    # France is party to the Convention against Corruption.
    response = await save(service, {"article-8": {"implementation": "yes"}}, "FRA")

    assert response.status_code == 422
    assert response.json()["field"] == "answers.article-8"
    assert await stored_response(service, "FRA") is None


@pytest.mark.parametrize(
    ("answer", "field"),
    [
        ({"implementation": "maybe"}, "answers.article-5.implementation"),
        ({"implementation": 1}, "answers.article-5.implementation"),
        ({"explanation": "No value given."}, "answers.article-5.implementation"),
        ({"implementation": "yes", "score": 3}, "answers.article-5.score"),
        ({"implementation": "yes", "explanation": 7}, "answers.article-5.explanation"),
    ],
)
async def test_wrong_answer_type_invalid(service, phase, answer, field) -> None:
    await save(service, {"article-2": {"implementation": "yes"}})
    before = await stored_response(service)

    response = await save(service, {"article-5": answer})

    assert response.status_code == 422
    assert response.json()["field"] == field
    assert await stored_response(service) == before


async def test_answer_not_object_invalid(service, phase) -> None:
    response = await save(service, {"article-5": "yes"})

    assert response.status_code == 422
    assert await stored_response(service) is None


async def test_invalid_answers_all_listed(service, phase) -> None:
    answers = {
        "article-99": {"implementation": "yes"},
        "article-5": {"implementation": "maybe"},
    }

    response = await save(service, answers)

    fields = {p["field"] for p in response.json()["problems"]}
    assert fields == {"answers.article-99", "answers.article-5.implementation"}


async def test_incomplete_submission_lists_every_problem(service, phase) -> None:
    answers = {
        "article-2": {"implementation": "yes"},
        "article-5": {"implementation": "partly"},
        "article-6": {"implementation": "no", "explanation": "  "},
    }
    await save(service, answers)
    before = await stored_response(service)

    response = await service.client.post(f"{response_path()}/submit")

    assert response.status_code == 422
    problems = {p["field"]: p["message"] for p in response.json()["problems"]}
    missing = {f"answers.article-{a}" for a in (10, 15, 23)}
    unexplained = {"answers.article-5", "answers.article-6"}
    assert set(problems) == missing | unexplained
    for field in missing:
        assert problems[field] == "answer required", field
    for field in unexplained:
        assert "explanation required" in problems[field], field
    assert await stored_response(service) == before


async def test_submission_without_draft_not_found(service, phase) -> None:
    response = await service.client.post(f"{response_path()}/submit")

    assert response.status_code == 404
    assert await stored_response(service) is None


async def test_submission_accepted(service, phase) -> None:
    await save(
        service, await service.complete_answers("ITA", "convention", "criminalization")
    )

    response = await service.client.post(f"{response_path()}/submit")

    assert response.status_code == 200
    submitted = response.json()
    assert submitted["status"] == "submitted"
    assert submitted["submitted_at"] is not None
    assert await stored_response(service) == submitted


async def test_second_submission_conflicts(service, phase) -> None:
    await save(
        service, await service.complete_answers("ITA", "convention", "criminalization")
    )
    await service.client.post(f"{response_path()}/submit")
    before = await stored_response(service)

    response = await service.client.post(f"{response_path()}/submit")

    assert response.status_code == 409
    assert response.json()["current_state"] == "submitted"
    assert await stored_response(service) == before


async def test_draft_after_submission_conflicts(service, phase) -> None:
    answers = await service.complete_answers("ITA", "convention", "criminalization")
    await save(service, answers)
    await service.client.post(f"{response_path()}/submit")
    before = await stored_response(service)

    response = await save(service, {"article-2": {"implementation": "no"}})

    assert response.status_code == 409
    assert await stored_response(service) == before


async def test_submission_published_once(service, phase) -> None:
    answers = await service.complete_answers("ITA", "convention", "criminalization")
    await save(service, answers)
    submitted = (await service.client.post(f"{response_path()}/submit")).json()
    await service.client.post(f"{response_path()}/submit")

    await service.wait_for_outbox()

    [envelope] = service.events(QuestionnaireSubmitted.event_type)
    event = payload_of(envelope)
    assert isinstance(event, QuestionnaireSubmitted)
    assert event.response_id == submitted["id"]
    assert event.questionnaire_id == "convention.criminalization.v1"
    assert event.phase_id == "phase-1"
    assert event.state == "ITA"
    assert event.instrument is Instrument.CONVENTION
    assert event.cluster.value == "criminalization"


async def test_failed_submission_publishes_nothing(service, phase) -> None:
    await save(service, {"article-2": {"implementation": "yes"}})
    await service.client.post(f"{response_path()}/submit")

    await service.wait_for_outbox()

    assert service.events(QuestionnaireSubmitted.event_type) == []
