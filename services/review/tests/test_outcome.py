"""Agreement, the State under review's comments, completion and publication."""

from palermo_shared.auth import Role
from palermo_shared.contracts import (
    DeskReviewStageChanged,
    ReviewOutcomePublished,
    ReviewOutcomeSummaryCorrected,
)
from palermo_shared.events import payload_of


def stage_changes(service) -> list[tuple[str, str]]:
    envelopes = service.events(DeskReviewStageChanged.event_type)
    return [(p.from_stage, p.to_stage) for p in map(payload_of, envelopes)]


async def test_expert_agreement_needs_clearance(service, staffed_review) -> None:
    await service.observe()

    agreed = await service.agree(service.expert("FRA"))
    before = agreed.json()
    cleared = await service.client.post(
        service.url("/agreement/clearance"), headers=service.focal_point("FRA")
    )

    assert agreed.status_code == 200
    assert before["status"] == "agreeing"
    assert len(before["missing_for_completion"]) == 3
    assert cleared.status_code == 200
    assert len(cleared.json()["missing_for_completion"]) == 2


async def test_repeated_agreement_keeps_clearance(service, staffed_review) -> None:
    await service.observe()
    await service.agree(service.expert("FRA"))
    await service.client.post(
        service.url("/agreement/clearance"), headers=service.focal_point("FRA")
    )

    again = await service.agree(service.expert("FRA"))
    agreements = await service.client.get(
        service.url("/agreements"), headers=service.secretariat
    )

    assert again.status_code == 200
    assert len(again.json()["missing_for_completion"]) == 2
    [agreement] = agreements.json()
    assert agreement["cleared_by"] is not None


async def test_clearance_without_agreement_conflicts(service, staffed_review) -> None:
    await service.observe()
    await service.agree(service.focal_point("FRA"))
    before = await service.review()

    response = await service.client.post(
        service.url("/agreement/clearance"), headers=service.focal_point("BRA")
    )

    assert response.status_code == 409
    assert "BRA" in response.json()["detail"]
    assert await service.review() == before


async def test_agreement_without_observations_conflicts(
    service, staffed_review
) -> None:
    before = await service.review()

    response = await service.agree(service.focal_point("FRA"))

    assert response.status_code == 409
    assert await service.review() == before


async def test_first_agreement_freezes_observations(service, staffed_review) -> None:
    await service.observe()
    await service.agree(service.focal_point("FRA"))

    response = await service.observe("BRA")

    assert response.status_code == 409
    assert response.json()["current_state"] == "agreeing"
    assert len(await service.observations()) == 1


async def test_both_agreements_open_comments(service, staffed_review) -> None:
    await service.observe()
    await service.agree_both()

    review = await service.review()

    assert review["status"] == "commenting"
    assert review["comment_period_started_at"] == "2026-01-05T09:00:00Z"
    assert review["comment_period_ends_at"] == "2026-02-02T09:00:00Z"
    assert len(review["missing_for_completion"]) == 1


async def test_reopen_withdraws_agreements(service, staffed_review) -> None:
    await service.observe()
    await service.agree(service.focal_point("FRA"))

    response = await service.client.post(
        service.url("/reopen"), headers=service.expert("BRA")
    )
    agreements = await service.client.get(
        service.url("/agreements"), headers=service.secretariat
    )

    assert response.json()["status"] == "in_progress"
    assert agreements.json() == []
    assert (await service.observe("BRA")).status_code == 201


async def test_completion_waits_for_comments(service, staffed_review) -> None:
    await service.observe()
    await service.agree_both()
    before = await service.review()

    response = await service.complete()

    assert response.status_code == 409
    body = response.json()
    assert body["current_state"] == "commenting"
    assert body["missing"] == before["missing_for_completion"]
    assert "comment period" in body["detail"]
    assert await service.review() == before


async def test_completion_without_body(service, staffed_review) -> None:
    await service.observe()
    await service.agree_both()
    await service.waive()
    written = await service.client.put(
        service.url("/summary"),
        json={"summary": "Written before completion."},
        headers=service.expert("FRA"),
    )

    response = await service.client.post(
        service.url("/complete"), headers=service.expert("FRA")
    )

    assert written.status_code == 200
    assert response.status_code == 200
    assert response.json()["status"] == "completed"
    assert response.json()["summary"] == "Written before completion."


async def test_completion_without_any_summary_invalid(service, staffed_review) -> None:
    await service.observe()
    await service.agree_both()
    await service.waive()

    response = await service.client.post(
        service.url("/complete"), headers=service.expert("FRA")
    )

    assert response.status_code == 422
    assert response.json()["field"] == "summary"
    assert (await service.review())["status"] == "commenting"


async def test_expert_comment_needs_clearance(service, staffed_review) -> None:
    await service.observe()
    await service.agree_both()
    assert (await service.appoint_expert("ITA")).status_code == 201

    written = await service.client.put(
        service.url("/comments"),
        json={"text": "Italy notes the observations."},
        headers=service.expert("ITA"),
    )
    refused = await service.complete()
    cleared = await service.client.post(
        service.url("/comments/clearance"), headers=service.focal_point("ITA")
    )
    completed = await service.complete()

    assert written.status_code == 200
    assert written.json()["cleared_at"] is None
    assert refused.status_code == 409
    assert cleared.status_code == 200
    assert completed.status_code == 200


async def write_comments(service, text: str, headers: dict[str, str]):
    return await service.client.put(
        service.url("/comments"), json={"text": text}, headers=headers
    )


async def expert_comments(service):
    """Have Italy's expert comment on the agreed observations, not yet cleared."""
    await service.observe()
    await service.agree_both()
    assert (await service.appoint_expert("ITA")).status_code == 201
    return await write_comments(
        service, "Italy notes the observations.", service.expert("ITA")
    )


async def test_stale_comments_rejected(service, staffed_review) -> None:
    written = await expert_comments(service)
    read = await service.client.get(
        service.url("/comments"), headers=service.focal_point("ITA")
    )
    etag = read.headers["etag"]
    first = await write_comments(
        service,
        "Italy notes the observations, with thanks.",
        {**service.expert("ITA"), "If-Match": etag},
    )

    second = await write_comments(
        service,
        "Italy has no comments.",
        {**service.focal_point("ITA"), "If-Match": etag},
    )
    stored = await service.client.get(
        service.url("/comments"), headers=service.secretariat
    )

    assert written.headers["etag"] == etag
    assert first.status_code == 200
    assert first.headers["etag"] != etag
    assert second.status_code == 412
    assert second.json()["field"] == "If-Match"
    assert second.json()["current_etag"] == first.headers["etag"]
    assert stored.json()["text"] == "Italy notes the observations, with thanks."
    assert stored.headers["etag"] == first.headers["etag"]


async def test_comment_clearance_changes_etag(service, staffed_review) -> None:
    written = await expert_comments(service)

    cleared = await service.client.post(
        service.url("/comments/clearance"), headers=service.focal_point("ITA")
    )
    stale = await write_comments(
        service,
        "Italy has no comments.",
        {**service.expert("ITA"), "If-Match": written.headers["etag"]},
    )

    assert cleared.status_code == 200
    assert cleared.headers["etag"] != written.headers["etag"]
    assert stale.status_code == 412
    assert stale.json()["current_etag"] == cleared.headers["etag"]


async def test_if_match_on_missing_comments(service, staffed_review) -> None:
    await service.observe()
    await service.agree_both()

    response = await write_comments(
        service,
        "Italy notes the observations.",
        {**service.focal_point("ITA"), "If-Match": "*"},
    )
    stored = await service.client.get(
        service.url("/comments"), headers=service.secretariat
    )

    assert response.status_code == 412
    assert "does not exist yet" in response.json()["detail"]
    assert stored.status_code == 404


async def test_waiver_after_clearance_conflicts(service, staffed_review) -> None:
    await service.observe()
    await service.agree_both()
    written = await service.client.put(
        service.url("/comments"),
        json={"text": "Italy notes the observations."},
        headers=service.focal_point("ITA"),
    )
    before = await service.review()

    response = await service.waive()

    assert written.status_code == 200
    assert response.status_code == 409
    assert "a waiver would drop them" in response.json()["detail"]
    assert await service.review() == before


async def test_comments_after_waiver_conflict(service, staffed_review) -> None:
    await service.observe()
    await service.agree_both()
    assert (await service.appoint_expert("ITA")).status_code == 201
    drafted = await service.client.put(
        service.url("/comments"),
        json={"text": "Draft by an expert."},
        headers=service.expert("ITA"),
    )
    waived = await service.waive()
    before = await service.review()

    cleared = await service.client.post(
        service.url("/comments/clearance"), headers=service.focal_point("ITA")
    )
    written = await service.client.put(
        service.url("/comments"),
        json={"text": "Italy notes the observations."},
        headers=service.focal_point("ITA"),
    )

    assert drafted.status_code == 200
    assert waived.status_code == 200
    assert cleared.status_code == 409
    assert "waived its comments" in cleared.json()["detail"]
    assert written.status_code == 409
    assert await service.review() == before


async def test_comment_period_end_allows_completion(service, staffed_review) -> None:
    await service.observe()
    await service.agree_both()
    service.clock.advance(days=27)
    early = await service.complete()

    service.clock.advance(days=1)
    late = await service.complete()

    assert early.status_code == 409
    assert late.status_code == 200


async def test_comments_outside_period_conflict(service, staffed_review) -> None:
    before = await service.review()

    response = await service.waive()

    assert response.status_code == 409
    assert response.json()["current_state"] == "in_progress"
    assert await service.review() == before


async def test_every_transition_published(service, staffed_review) -> None:
    await service.complete_fully()
    await service.wait_for_outbox()

    assert stage_changes(service) == [
        ("awaiting_questionnaire", "in_progress"),
        ("in_progress", "agreeing"),
        ("agreeing", "commenting"),
        ("commenting", "completed"),
    ]
    event = payload_of(service.events(DeskReviewStageChanged.event_type)[0])
    assert event.regional_group == "Western European and Others"
    assert event.state_under_review == "ITA"


async def publish_parts(service, summary: bool, observation_ids: list[str]):
    return await service.client.put(
        service.url("/publication"),
        json={"summary": summary, "observation_ids": observation_ids},
        headers=service.focal_point("ITA"),
    )


async def test_observer_reads_published_parts(service, staffed_review) -> None:
    shown = (await service.observe()).json()
    await service.observe("BRA", kind="difficulty", text="Confidential difficulty.")
    await service.agree_both()
    await service.waive()
    await service.complete()

    decided = await publish_parts(service, True, [shown["id"]])
    observer = await service.client.get(
        service.url("/published"), headers=service.headers(Role.OBSERVER)
    )
    forbidden = await service.client.get(
        service.url("/observations"), headers=service.headers(Role.OBSERVER)
    )

    assert decided.status_code == 200
    body = observer.json()
    assert body["summary"] == "Desk review done."
    assert [o["id"] for o in body["observations"]] == [shown["id"]]
    assert "Confidential difficulty." not in observer.text
    assert forbidden.status_code == 403


async def test_outcome_confidential_by_default(service, staffed_review) -> None:
    await service.complete_fully()

    observer = await service.client.get(
        service.url("/published"), headers=service.headers(Role.OBSERVER)
    )

    assert observer.json()["summary"] is None
    assert observer.json()["observations"] == []


async def test_published_before_completion_not_found(service, staffed_review) -> None:
    callers = {
        "observer": service.headers(Role.OBSERVER),
        "focal point": service.focal_point("ITA"),
        "Secretariat": service.secretariat,
    }
    assert (await service.observe()).status_code == 201
    await service.agree_both()
    expected = {
        "detail": f"desk review {staffed_review} has no published outcome: "
        "no completed review has this id",
        "code": "not_found",
    }

    for caller, headers in callers.items():
        response = await service.client.get(service.url("/published"), headers=headers)

        assert response.status_code == 404, caller
        assert response.json() == expected, caller


async def test_publication_before_completion_conflicts(service, staffed_review) -> None:
    shown = (await service.observe()).json()

    response = await publish_parts(service, True, [shown["id"]])

    assert response.status_code == 409
    assert (await service.observations())[0]["published"] is False


async def test_publication_of_unknown_observation_invalid(
    service, staffed_review
) -> None:
    await service.complete_fully()

    response = await publish_parts(service, True, ["no-such-observation"])
    review = await service.review()

    assert response.status_code == 422
    assert response.json()["field"] == "observation_ids"
    assert (
        await service.client.get(service.url("/summary"), headers=service.secretariat)
    ).json()["published"] is False
    assert review["status"] == "completed"


async def translate(service, language: str, text: str):
    return await service.client.put(
        service.url(f"/summary/translations/{language}"),
        json={"text": text},
        headers=service.secretariat,
    )


async def test_translation_outdated_by_summary_change(service, staffed_review) -> None:
    await service.complete_fully()
    await translate(service, "fr", "Examen terminé.")

    changed = await service.client.put(
        service.url("/summary"),
        json={"summary": "Desk review done, with a correction."},
        headers=service.secretariat,
    )
    await translate(service, "es", "Examen terminado, con una corrección.")
    summary = await service.client.get(
        service.url("/summary"), headers=service.secretariat
    )

    assert changed.status_code == 200
    body = summary.json()
    assert body["revision"] == 2
    currency = {t["language"]: t["current"] for t in body["translations"]}
    assert currency == {"es": True, "fr": False}
    sources = {t["language"]: t["source_revision"] for t in body["translations"]}
    assert sources == {"es": 2, "fr": 1}
    assert body["languages_missing"] == ["ar", "zh", "ru"]


async def test_stale_translation_rejected(service, staffed_review) -> None:
    await service.complete_fully()
    await translate(service, "fr", "Examen terminé.")
    read = await service.client.get(
        service.url("/summary/translations/fr"), headers=service.expert("FRA")
    )
    etag = read.headers["etag"]
    first = await service.client.put(
        service.url("/summary/translations/fr"),
        json={"text": "Examen documentaire terminé."},
        headers={**service.secretariat, "If-Match": etag},
    )

    second = await service.client.put(
        service.url("/summary/translations/fr"),
        json={"text": "Examen achevé."},
        headers={**service.secretariat, "If-Match": etag},
    )
    stored = await service.client.get(
        service.url("/summary/translations/fr"), headers=service.secretariat
    )

    assert read.status_code == 200
    assert read.json()["text"] == "Examen terminé."
    assert first.status_code == 200
    assert first.headers["etag"] != etag
    assert second.status_code == 412
    assert second.json()["current_etag"] == first.headers["etag"]
    assert stored.json()["text"] == "Examen documentaire terminé."
    assert stored.headers["etag"] == first.headers["etag"]


async def test_missing_translation_not_found(service, staffed_review) -> None:
    await service.complete_fully()

    response = await service.client.get(
        service.url("/summary/translations/ru"), headers=service.secretariat
    )

    assert response.status_code == 404
    assert "no ru translation" in response.json()["detail"]


async def test_published_translations_only_current(service, staffed_review) -> None:
    await service.complete_fully()
    await translate(service, "fr", "Examen terminé.")
    await service.client.put(
        service.url("/summary"),
        json={"summary": "Desk review done, with a correction."},
        headers=service.secretariat,
    )
    await translate(service, "es", "Examen terminado, con una corrección.")

    decided = await publish_parts(service, True, [])
    published = await service.client.get(
        service.url("/published"), headers=service.headers(Role.OBSERVER)
    )

    assert decided.status_code == 200
    body = published.json()
    assert body["summary"] == "Desk review done, with a correction."
    assert [t["language"] for t in body["translations"]] == ["es"]
    assert "Examen terminé." not in published.text


async def test_translation_into_english_invalid(service, staffed_review) -> None:
    await service.complete_fully()

    response = await translate(service, "en", "Done.")
    other = await translate(service, "de", "Fertig.")

    assert response.status_code == 422
    assert response.json()["field"] == "language"
    assert other.status_code == 422


async def test_same_summary_keeps_revision(service, staffed_review) -> None:
    await service.complete_fully()
    await translate(service, "fr", "Examen terminé.")

    await service.client.put(
        service.url("/summary"),
        json={"summary": "Desk review done."},
        headers=service.secretariat,
    )
    summary = await service.client.get(
        service.url("/summary"), headers=service.secretariat
    )

    assert summary.json()["revision"] == 1
    assert summary.json()["translations"][0]["current"] is True


async def test_published_summary_kept_until_withdrawn(service, staffed_review) -> None:
    await service.complete_fully()
    await publish_parts(service, True, [])
    new_text = {"summary": "Rewritten after publication."}

    rejected = await service.client.put(
        service.url("/summary"), json=new_text, headers=service.secretariat
    )
    published = await service.client.get(
        service.url("/published"), headers=service.headers(Role.OBSERVER)
    )
    withdrawn = await publish_parts(service, False, [])
    changed = await service.client.put(
        service.url("/summary"), json=new_text, headers=service.secretariat
    )

    assert rejected.status_code == 409
    assert "must withdraw it" in rejected.json()["detail"]
    assert published.json()["summary"] == "Desk review done."
    assert withdrawn.status_code == 200
    assert changed.status_code == 200


async def test_expert_correction_after_completion_forbidden(
    service, staffed_review
) -> None:
    await service.complete_fully()

    response = await service.client.put(
        service.url("/summary"),
        json={"summary": "Rewritten after completion."},
        headers=service.expert("BRA"),
    )
    summary = await service.client.get(
        service.url("/summary"), headers=service.secretariat
    )

    assert response.status_code == 403
    assert "correct the summary of a completed review" in response.json()["detail"]
    assert summary.json()["summary"] == "Desk review done."


async def test_stale_summary_update_rejected(service, staffed_review) -> None:
    read = await service.client.get(
        service.url("/summary"), headers=service.expert("FRA")
    )
    etag = read.headers["etag"]
    first = await service.client.put(
        service.url("/summary"),
        json={"summary": "France's draft."},
        headers={**service.expert("FRA"), "If-Match": etag},
    )

    second = await service.client.put(
        service.url("/summary"),
        json={"summary": "Brazil's draft."},
        headers={**service.expert("BRA"), "If-Match": etag},
    )
    stored = await service.client.get(
        service.url("/summary"), headers=service.secretariat
    )

    assert first.status_code == 200
    assert first.headers["etag"] != etag
    assert second.status_code == 412
    assert second.json()["current_etag"] == first.headers["etag"]
    assert stored.json()["summary"] == "France's draft."


async def test_summary_update_with_current_etag(service, staffed_review) -> None:
    read = await service.client.get(
        service.url("/summary"), headers=service.expert("FRA")
    )

    response = await service.client.put(
        service.url("/summary"),
        json={"summary": "France's draft."},
        headers={**service.expert("BRA"), "If-Match": read.headers["etag"]},
    )

    assert response.status_code == 200
    assert response.json()["revision"] == 1


def outcome_events(service, payload_class) -> list:
    return [payload_of(e) for e in service.events(payload_class.event_type)]


async def test_publication_decision_published(service, staffed_review) -> None:
    public_observation = (await service.observe()).json()
    await service.observe("BRA", kind="difficulty", text="Confidential difficulty.")
    await service.agree_both()
    await service.waive()
    await service.complete()

    await publish_parts(service, True, [public_observation["id"]])
    await publish_parts(service, True, [public_observation["id"]])
    await publish_parts(service, False, [])
    await service.wait_for_outbox()

    published, withdrawn = outcome_events(service, ReviewOutcomePublished)
    assert published.review_id == withdrawn.review_id == service.review_id()
    assert published.summary == "Desk review done."
    assert [o.text for o in published.observations] == [public_observation["text"]]
    assert withdrawn.summary is None
    assert withdrawn.observations == []


async def test_summary_correction_published(service, staffed_review) -> None:
    await service.client.put(
        service.url("/summary"),
        json={"summary": "Draft before completion."},
        headers=service.expert("FRA"),
    )
    await service.complete_fully()
    corrected_text = {"summary": "Desk review done, with a correction."}

    corrected = await service.client.put(
        service.url("/summary"), json=corrected_text, headers=service.secretariat
    )
    await service.client.put(
        service.url("/summary"), json=corrected_text, headers=service.secretariat
    )
    await service.wait_for_outbox()

    assert corrected.status_code == 200
    [correction] = outcome_events(service, ReviewOutcomeSummaryCorrected)
    assert correction.review_id == service.review_id()
    assert correction.summary == "Desk review done, with a correction."
    assert correction.summary_revision == corrected.json()["revision"]
    assert sorted(correction.reviewers) == ["BRA", "FRA"]
