"""Optimistic concurrency on drafts, and versions of submitted responses."""

from typing import Any

from palermo_shared.contracts.questionnaire import (
    QuestionnaireResponseUpdated,
    QuestionnaireSubmitted,
    TechnicalAssistanceNeedsIdentified,
)
from palermo_shared.events import payload_of

PATH = "/phases/phase-1/responses/ITA/convention/criminalization"


async def current(service) -> Any:
    response = await service.client.get(PATH)
    assert response.status_code == 200, response.text
    return response


async def put(service, answers: dict[str, Any], etag: str | None):
    headers = {"If-Match": etag} if etag else {}
    return await service.client.put(PATH, json={"answers": answers}, headers=headers)


async def submitted_once(service) -> Any:
    answers = await service.complete_answers("ITA", "convention", "criminalization")
    created = await put(service, answers, None)
    etag = created.headers["ETag"]
    response = await service.client.post(f"{PATH}/submit", headers={"If-Match": etag})
    assert response.status_code == 200, response.text
    return response


def choice(value: str) -> dict[str, Any]:
    return {"article-2.implementation": {"value": value, "explanation": "Why."}}


async def test_stale_etag_precondition_failed(service, phase) -> None:
    first = await put(service, choice("yes"), None)
    stale = first.headers["ETag"]
    await put(service, choice("partly"), stale)
    before = (await current(service)).json()

    response = await put(service, choice("no"), stale)

    assert response.status_code == 412
    assert response.json()["field"] == "If-Match"
    assert (await current(service)).json() == before


async def test_missing_if_match_required(service, phase) -> None:
    await put(service, choice("yes"), None)
    before = (await current(service)).json()

    response = await put(service, choice("no"), None)

    assert response.status_code == 428
    assert response.json()["field"] == "If-Match"
    assert (await current(service)).json() == before


async def test_if_match_on_new_response_fails(service, phase) -> None:
    response = await put(service, choice("yes"), '"something"')

    assert response.status_code == 412
    assert (await service.client.get(PATH)).status_code == 404


async def test_current_etag_accepted(service, phase) -> None:
    await put(service, choice("yes"), None)
    etag = (await current(service)).headers["ETag"]

    response = await put(service, choice("no"), etag)

    assert response.status_code == 200
    assert response.headers["ETag"] != etag
    assert response.json()["answers"] == choice("no")


async def test_submit_without_if_match_required(service, phase) -> None:
    answers = await service.complete_answers("ITA", "convention", "criminalization")
    await put(service, answers, None)
    before = (await current(service)).json()

    response = await service.client.post(f"{PATH}/submit")

    assert response.status_code == 428
    assert (await current(service)).json() == before


async def test_submit_with_stale_etag_fails(service, phase) -> None:
    answers = await service.complete_answers("ITA", "convention", "criminalization")
    stale = (await put(service, answers, None)).headers["ETag"]
    await put(service, answers, stale)
    before = (await current(service)).json()

    response = await service.client.post(f"{PATH}/submit", headers={"If-Match": stale})

    assert response.status_code == 412
    assert (await current(service)).json() == before


async def test_submission_of_state_not_under_review(service, phase) -> None:
    # France is not party to the Firearms Protocol.
    path = "/phases/phase-1/responses/FRA/firearms/criminalization"

    response = await service.client.post(f"{path}/submit", headers={"If-Match": "*"})

    assert response.status_code == 422
    assert response.json()["field"] == "state"
    assert (await service.client.get(path)).status_code == 404


async def test_update_after_submission_starts_version_2(service, phase) -> None:
    submitted = await submitted_once(service)
    answers = submitted.json()["answers"]
    answers["article-2.implementation"] = {"value": "no", "explanation": "Repealed."}
    del answers["article-2.citations"]

    draft = await put(service, answers, submitted.headers["ETag"])

    assert draft.status_code == 200
    assert draft.json()["status"] == "draft"
    assert draft.json()["version"] == 2


async def test_versions_and_difference_kept(service, phase) -> None:
    submitted = await submitted_once(service)
    answers = submitted.json()["answers"]
    answers["article-2.implementation"] = {"value": "no", "explanation": "Repealed."}
    del answers["article-2.citations"]
    draft = await put(service, answers, submitted.headers["ETag"])
    await service.client.post(
        f"{PATH}/submit", headers={"If-Match": draft.headers["ETag"]}
    )

    versions = (await service.client.get(f"{PATH}/versions")).json()
    first = (await service.client.get(f"{PATH}/versions/1")).json()
    diff = (await service.client.get(f"{PATH}/versions/2/diff")).json()

    assert [v["version"] for v in versions] == [1, 2]
    assert first["answers"] == submitted.json()["answers"]
    changes = {c["question_id"]: c["change"] for c in diff["changes"]}
    assert changes == {
        "article-2.implementation": "changed",
        "article-2.citations": "removed",
    }
    assert diff["against"] == 1


async def test_diff_against_itself_invalid(service, phase) -> None:
    await submitted_once(service)

    response = await service.client.get(f"{PATH}/versions/1/diff")

    assert response.status_code == 422
    assert response.json()["field"] == "against"


async def test_update_published_with_changes(service, phase) -> None:
    submitted = await submitted_once(service)
    answers = submitted.json()["answers"]
    answers["article-5.assistance"] = {
        "value": [{"type": "legislative_drafting", "priority": "high"}]
    }
    draft = await put(service, answers, submitted.headers["ETag"])
    await service.client.post(
        f"{PATH}/submit", headers={"If-Match": draft.headers["ETag"]}
    )
    await service.wait_for_outbox()

    [submission] = service.events(QuestionnaireSubmitted.event_type)
    [update] = service.events(QuestionnaireResponseUpdated.event_type)
    [needs] = service.events(TechnicalAssistanceNeedsIdentified.event_type)
    updated = payload_of(update)
    identified = payload_of(needs)
    assert payload_of(submission).response_version == 1
    assert isinstance(updated, QuestionnaireResponseUpdated)
    assert updated.changed_questions == ["article-5.assistance"]
    assert updated.previous_version == 1
    assert isinstance(identified, TechnicalAssistanceNeedsIdentified)
    assert [(n.article, n.type, n.priority) for n in identified.needs] == [
        (5, "legislative_drafting", "high")
    ]
    assert identified.working_group == (
        "international_cooperation_and_technical_assistance"
    )


async def test_hidden_follow_up_dropped_on_submit(service, phase) -> None:
    answers = await service.complete_answers("ITA", "convention", "criminalization")
    answers["article-2.implementation"] = {"value": "yes"}
    answers["article-2.obstacles"] = {"value": "Written before the law passed."}
    etag = (await put(service, answers, None)).headers["ETag"]

    response = await service.client.post(f"{PATH}/submit", headers={"If-Match": etag})

    assert response.status_code == 200
    assert "article-2.obstacles" not in response.json()["answers"]


async def put_with_headers(service, answers: dict[str, Any], headers: list):
    return await service.client.put(PATH, json={"answers": answers}, headers=headers)


async def test_if_match_list_with_current_etag(service, phase) -> None:
    await put(service, choice("yes"), None)
    etag = (await current(service)).headers["ETag"]

    one_line = await put(service, choice("partly"), f'"other", {etag}')
    etag = one_line.headers["ETag"]
    two_lines = await put_with_headers(
        service, choice("no"), [("If-Match", '"other"'), ("If-Match", etag)]
    )

    assert one_line.status_code == 200
    assert two_lines.status_code == 200
    assert (await current(service)).json()["answers"] == choice("no")


async def test_if_match_star_overwrites(service, phase) -> None:
    await put(service, choice("yes"), None)

    response = await put(service, choice("no"), "*")

    assert response.status_code == 200
    assert (await current(service)).json()["answers"] == choice("no")


async def test_if_match_weak_etag_fails(service, phase) -> None:
    await put(service, choice("yes"), None)
    etag = (await current(service)).headers["ETag"]
    before = (await current(service)).json()

    weak = await put(service, choice("no"), f"W/{etag}")
    weak_in_list = await put(service, choice("no"), f'"other", W/{etag}')

    assert weak.status_code == 412
    assert weak_in_list.status_code == 412
    assert (await current(service)).json() == before


async def test_if_match_malformed_fails(service, phase) -> None:
    await put(service, choice("yes"), None)
    etag = (await current(service)).headers["ETag"]
    before = (await current(service)).json()

    for header in (etag.strip('"'), f"*, {etag}", f"{etag} junk"):
        response = await put(service, choice("no"), header)
        assert response.status_code == 412, header
    assert (await current(service)).json() == before
