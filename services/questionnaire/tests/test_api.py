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
    """Save a draft with the current ETag, as an official who just read it."""
    current = await service.client.get(response_path(state))
    headers = (
        {"If-Match": current.headers["ETag"]} if current.status_code == 200 else {}
    )
    return await service.client.put(
        response_path(state), json={"answers": answers}, headers=headers
    )


async def submit(service, state: str = "ITA"):
    current = await service.client.get(response_path(state))
    headers = {"If-Match": current.headers.get("ETag", '"none"')}
    return await service.client.post(f"{response_path(state)}/submit", headers=headers)


def yes(article: int) -> dict[str, Any]:
    return {f"article-{article}.implementation": {"value": "yes"}}


async def test_uncac_party_skips_articles_8_and_9(service, phase) -> None:
    questionnaire = await service.questionnaire("FRA", "convention", "criminalization")

    articles = [s["article"] for s in questionnaire["sections"]]
    assert articles == [2, 5, 6, 10, 15, 23]


async def test_non_uncac_party_gets_articles_8_and_9(service, phase) -> None:
    questionnaire = await service.questionnaire("MCO", "convention", "criminalization")

    articles = [s["article"] for s in questionnaire["sections"]]
    assert articles == [2, 5, 6, 8, 9, 10, 15, 23]


@pytest.mark.parametrize("state", ["fra", "XXX", "F1"])
async def test_questionnaire_bad_state_invalid(service, phase, state) -> None:
    response = await service.client.get(
        "/phases/phase-1/questionnaires/convention/criminalization",
        params={"state": state},
    )

    assert response.status_code == 422
    [problem] = response.json()["problems"]
    assert problem["field"] == "state"
    assert problem["message"].startswith(f"unknown State {state!r}; expected")


async def test_unknown_phase_not_found(service, phase) -> None:
    response = await service.client.get(
        "/phases/no-such-phase/questionnaires/convention/criminalization",
        params={"state": "ITA"},
    )

    assert response.status_code == 404


async def test_response_of_unknown_phase_named(service, phase) -> None:
    unknown = await service.client.get(
        "/phases/no-such-phase/responses/ITA/convention/criminalization"
    )
    unsaved = await service.client.get(response_path())

    assert unknown.status_code == 404
    assert "review phase no-such-phase not found" in unknown.json()["detail"]
    assert unsaved.status_code == 404
    assert "its State has saved no draft yet" in unsaved.json()["detail"]


async def test_unknown_state_invalid(service, phase) -> None:
    put = await save(service, {}, state="XXX")
    get = await service.client.get(response_path("XXX"))

    assert put.status_code == 422
    assert get.status_code == 422
    assert get.json()["field"] == "state"


# Every route under a response's path, with the method it serves.
RESPONSE_ROUTES = [
    ("GET", ""),
    ("PUT", ""),
    ("POST", "/submit"),
    ("GET", "/versions"),
    ("GET", "/versions/1"),
    ("GET", "/versions/2/diff"),
    ("GET", "/contributions"),
    ("POST", "/contributions"),
    ("GET", "/attachments"),
    ("POST", "/attachments"),
    ("GET", "/attachments/some-id"),
    ("GET", "/export.json"),
    ("GET", "/export.csv"),
    ("GET", "/export.html"),
]


@pytest.mark.parametrize("state", ["ita", "ZZZ", "It1"])
@pytest.mark.parametrize(("method", "suffix"), RESPONSE_ROUTES)
async def test_bad_state_segment_invalid(service, phase, state, method, suffix) -> None:
    response = await service.client.request(
        method, response_path(state) + suffix, headers={"If-Match": '"any"'}
    )

    # A write without a body is reported too, after the path.
    problems = {p["field"]: p["message"] for p in response.json()["problems"]}
    assert response.status_code == 422
    assert response.json()["field"] == "state"
    assert problems["state"].startswith(f"unknown State {state!r}; expected")


async def test_lower_case_state_saves_nothing(service, phase) -> None:
    put = await save(service, yes(2), state="ita")
    submitted = await submit(service, state="ita")

    assert put.status_code == 422
    assert submitted.status_code == 422
    assert await stored_response(service, "ITA") is None


async def test_questionnaire_without_state(service, phase) -> None:
    base = "/phases/{phase}/questionnaires/convention/{cluster}"

    unknown_phase = await service.client.get(
        base.format(phase="no-such-phase", cluster="criminalization")
    )
    other_cluster = await service.client.get(
        base.format(phase="phase-1", cluster="law_enforcement")
    )
    no_state = await service.client.get(
        base.format(phase="phase-1", cluster="criminalization")
    )

    assert unknown_phase.status_code == 404
    assert "review phase no-such-phase not found" in unknown_phase.json()["detail"]
    assert other_cluster.status_code == 422
    assert other_cluster.json()["field"] == "cluster"
    assert "not reviewed in phase phase-1" in other_cluster.json()["detail"]
    assert no_state.status_code == 422
    assert no_state.json()["field"] == "state"


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
    answers = yes(5)

    response = await save(service, answers)

    assert response.status_code == 200
    draft = response.json()
    assert draft["status"] == "draft"
    assert draft["revision"] == 1
    assert draft["answers"] == answers
    assert draft["submitted_at"] is None
    assert await stored_response(service) == draft


async def test_draft_resaved(service, phase) -> None:
    await save(service, yes(5))
    answers = {"article-6.implementation": {"value": "no", "explanation": "Bill."}}

    response = await save(service, answers)

    assert response.status_code == 200
    draft = response.json()
    assert draft["revision"] == 2
    assert draft["answers"] == answers
    assert await stored_response(service) == draft


async def test_unknown_question_invalid(service, phase) -> None:
    await save(service, yes(5))
    before = await stored_response(service)

    response = await save(service, yes(99))

    assert response.status_code == 422
    assert response.json()["field"] == "answers.article-99.implementation"
    assert "unknown question" in response.json()["problems"][0]["message"]
    assert await stored_response(service) == before


@pytest.mark.parametrize(
    ("answers", "problems"),
    [
        ({f"unknown-{n}": {"value": "yes"} for n in range(250)}, 250),
        ({f"unknown-{n}": {"value": 1.5} for n in range(30)}, 30),
    ],
    ids=["over-the-bound", "under-the-bound"],
)
async def test_problems_listed_up_to_100(service, phase, answers, problems) -> None:
    response = await save(service, answers)

    body = response.json()
    assert response.status_code == 422
    assert f"invalid answers: {problems} problem(s)" in body["detail"]
    assert len(body["problems"]) == min(problems, 100)
    assert ("the first 100 listed" in body["detail"]) == (problems > 100)


async def test_excluded_article_invalid(service, phase) -> None:
    # France is party to the Convention against Corruption.
    response = await save(service, yes(8), "FRA")

    assert response.status_code == 422
    assert response.json()["field"] == "answers.article-8.implementation"
    assert await stored_response(service, "FRA") is None


IMPLEMENTATION = "answers.article-5.implementation"


@pytest.mark.parametrize(
    ("question", "answer", "field"),
    [
        ("implementation", {"value": "maybe"}, f"{IMPLEMENTATION}.value"),
        ("implementation", {"value": 1}, f"{IMPLEMENTATION}.value"),
        ("implementation", {"explanation": "None given."}, f"{IMPLEMENTATION}.value"),
        ("implementation", {"value": "yes", "score": 3}, f"{IMPLEMENTATION}.score"),
        ("implementation", "yes", IMPLEMENTATION),
        ("statistics", {"value": "12"}, "answers.article-5.statistics.value"),
        ("statistics", {"value": -1}, "answers.article-5.statistics.value"),
        ("statistics", {"value": 12.5}, "answers.article-5.statistics.value"),
        ("statistics", {"value": 2**53}, "answers.article-5.statistics.value"),
        ("practice", {"value": 7}, "answers.article-5.practice.value"),
        (
            "citations",
            {"value": [{"kind": "statute", "title": "Code"}]},
            "answers.article-5.citations.value.0.kind",
        ),
        (
            "assistance",
            {"value": [{"type": "money", "priority": "high"}]},
            "answers.article-5.assistance.value.0.type",
        ),
        (
            "documents",
            {"value": ["no-such-file"]},
            "answers.article-5.documents.value.0",
        ),
    ],
)
async def test_wrong_answer_type_invalid(
    service, phase, question, answer, field
) -> None:
    await save(service, yes(2))
    before = await stored_response(service)

    response = await save(service, {f"article-5.{question}": answer})

    assert response.status_code == 422
    assert response.json()["field"] == field
    assert await stored_response(service) == before


def answers_with_text(text: str) -> dict[str, dict[str, Any]]:
    """Return, per question of article 5, an answer with `text` in a text field."""
    return {
        "practice": {"value": text},
        "implementation": {"value": "no", "explanation": text},
        "citations": {"value": [{"kind": "law", "title": "Code", "excerpt": text}]},
        "statistics": {"value": 3, "note": text},
    }


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x0b", "\x1b", "\x1f"])
@pytest.mark.parametrize(
    ("question", "field"),
    [
        ("practice", "answers.article-5.practice.value"),
        ("implementation", f"{IMPLEMENTATION}.explanation"),
        ("citations", "answers.article-5.citations.value.0.excerpt"),
        ("statistics", "answers.article-5.statistics.note"),
    ],
)
async def test_control_character_in_text_invalid(
    service, phase, character, question, field
) -> None:
    await save(service, yes(2))
    before = await stored_response(service)
    answer = answers_with_text(f"A{character}B")[question]

    response = await save(service, {f"article-5.{question}": answer})

    [problem] = response.json()["problems"]
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert problem["field"] == field
    assert f"U+{ord(character):04X}" in problem["message"]
    assert await stored_response(service) == before


async def test_invalid_answers_all_listed(service, phase) -> None:
    answers = {
        "article-99.implementation": {"value": "yes"},
        "article-5.implementation": {"value": "maybe"},
    }

    response = await save(service, answers)

    fields = {p["field"] for p in response.json()["problems"]}
    assert fields == {
        "answers.article-99.implementation",
        "answers.article-5.implementation.value",
    }


async def test_incomplete_submission_lists_every_problem(service, phase) -> None:
    citation = {"value": [{"kind": "law", "title": "Penal Code"}]}
    answers = {
        "article-2.implementation": {"value": "yes"},
        "article-2.citations": citation,
        "article-5.implementation": {"value": "partly"},
        "article-6.implementation": {"value": "no", "explanation": "  "},
        "article-10.implementation": {"value": "yes"},
        "article-15.implementation": {"value": "yes"},
        "article-15.citations": {"value": []},
    }
    await save(service, answers)
    before = await stored_response(service)

    response = await submit(service)

    assert response.status_code == 422
    problems = {p["field"]: p["message"] for p in response.json()["problems"]}
    missing = {
        "answers.article-23.implementation",
        "answers.article-5.citations",
        "answers.article-10.citations",
    }
    unexplained = {
        "answers.article-5.implementation.explanation",
        "answers.article-6.implementation.explanation",
    }
    assert set(problems) == missing | unexplained | {
        "answers.article-15.citations.value"
    }
    for field in missing:
        assert problems[field] == "answer required", field
    for field in unexplained:
        assert "explanation required" in problems[field], field
    assert await stored_response(service) == before


async def test_submission_without_draft_not_found(service, phase) -> None:
    response = await submit(service)

    assert response.status_code == 404
    assert await stored_response(service) is None


async def test_submission_accepted(service, phase) -> None:
    await save(
        service, await service.complete_answers("ITA", "convention", "criminalization")
    )

    response = await submit(service)

    assert response.status_code == 200
    submitted = response.json()
    assert submitted["status"] == "submitted"
    assert submitted["submitted_at"] is not None
    assert await stored_response(service) == submitted


async def test_second_submission_conflicts(service, phase) -> None:
    await save(
        service, await service.complete_answers("ITA", "convention", "criminalization")
    )
    await submit(service)
    before = await stored_response(service)

    response = await submit(service)

    assert response.status_code == 409
    assert response.json()["current_state"] == "submitted"
    assert f"submitted at {before['submitted_at']}" in response.json()["detail"]
    assert await stored_response(service) == before


async def test_submission_published_once(service, phase) -> None:
    answers = await service.complete_answers("ITA", "convention", "criminalization")
    await save(service, answers)
    submitted = (await submit(service)).json()
    await submit(service)

    await service.wait_for_outbox()

    [envelope] = service.events(QuestionnaireSubmitted.event_type)
    event = payload_of(envelope)
    assert isinstance(event, QuestionnaireSubmitted)
    assert event.response_id == submitted["id"]
    assert event.questionnaire_id == "convention.criminalization.v2"
    assert event.phase_id == "phase-1"
    assert event.state == "ITA"
    assert event.instrument is Instrument.CONVENTION
    assert event.cluster.value == "criminalization"


async def test_failed_submission_publishes_nothing(service, phase) -> None:
    await save(service, yes(2))
    await submit(service)

    await service.wait_for_outbox()

    assert service.events(QuestionnaireSubmitted.event_type) == []


async def test_section_kinds_and_conditions(service, phase) -> None:
    questionnaire = await service.questionnaire("ITA", "convention", "criminalization")

    questions = {q["id"]: q for q in questionnaire["sections"][0]["questions"]}
    kinds = [q["kind"] for q in questions.values()]
    citations = questions["article-2.citations"]
    obstacles = questions["article-2.obstacles"]
    assert kinds == [
        "yes_partly_no",
        "citations",
        "text",
        "text",
        "number",
        "attachments",
        "assistance_needs",
    ]
    assert citations["required"] is True
    assert citations["shown_when"]["values"] == ["yes", "partly"]
    assert obstacles["required"] is False
    assert obstacles["shown_when"]["values"] == ["partly", "no"]
    assert set(questionnaire["answer_schemas"]) == set(kinds)
