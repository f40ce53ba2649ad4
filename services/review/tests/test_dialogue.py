"""The dialogue: requests, answers with files, clarifications and meetings."""

import pytest

REQUEST = {
    "kind": "supplementary_information",
    "text": "Please send the text of article 416 bis of the penal code.",
    "due_date": "2026-02-05",
}


async def create_request(service, **changes):
    return await service.client.post(
        service.url("/requests"),
        json={**REQUEST, **changes},
        headers=service.expert("FRA"),
    )


async def answer(service, request_id: str, text: str = "Attached."):
    return await service.client.post(
        service.url(f"/requests/{request_id}/messages"),
        json={"kind": "answer", "text": text},
        headers=service.focal_point("ITA"),
    )


async def upload(
    service,
    request_id,
    message_id,
    content,
    content_type,
    filename: str = "penal-code.pdf",
):
    return await service.client.post(
        service.url(f"/requests/{request_id}/messages/{message_id}/attachments"),
        params={"filename": filename},
        content=content,
        headers={**service.focal_point("ITA"), "Content-Type": content_type},
    )


async def requests(service) -> list[dict]:
    response = await service.client.get(
        service.url("/requests"), headers=service.secretariat
    )
    return response.json()


async def test_request_recorded(service, staffed_review) -> None:
    response = await create_request(service)

    assert response.status_code == 201
    [stored] = await requests(service)
    assert stored["from_state"] == "FRA"
    assert stored["due_date"] == "2026-02-05"
    assert stored["messages"] == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"due_date": "2026-01-05"}, "due_date"),
        ({"due_date": "9999-12-31"}, "due_date"),
        ({"kind": "interrogation"}, "kind"),
        ({"text": ""}, "text"),
    ],
)
async def test_bad_request_invalid(service, staffed_review, changes, field) -> None:
    response = await create_request(service, **changes)

    assert response.status_code == 422
    assert field in response.text
    assert await requests(service) == []


async def test_answer_with_attachment(service, staffed_review) -> None:
    request_id = (await create_request(service)).json()["id"]
    message = (await answer(service, request_id)).json()
    content = b"%PDF-1.7 article 416 bis"

    uploaded = await upload(
        service, request_id, message["id"], content, "application/pdf"
    )
    attachment = uploaded.json()
    downloaded = await service.client.get(
        service.url(
            f"/requests/{request_id}/messages/{message['id']}"
            f"/attachments/{attachment['id']}"
        ),
        headers=service.expert("BRA"),
    )

    assert uploaded.status_code == 201
    assert attachment["size"] == len(content)
    assert downloaded.content == content
    assert downloaded.headers["content-type"] == "application/pdf"
    [stored] = await requests(service)
    assert stored["messages"][0]["attachments"][0]["id"] == attachment["id"]


@pytest.mark.parametrize("filename", ["../../etc/passwd", "a\\b.pdf", "..", " "])
async def test_attachment_name_with_path_invalid(
    service, staffed_review, filename
) -> None:
    request_id = (await create_request(service)).json()["id"]
    message = (await answer(service, request_id)).json()

    response = await upload(
        service, request_id, message["id"], b"%PDF-1.7", "application/pdf", filename
    )

    assert response.status_code == 422
    assert response.json()["field"] == "filename"
    [stored] = await requests(service)
    assert stored["messages"][0]["attachments"] == []


@pytest.mark.parametrize(
    ("filename", "encoded"),
    [
        ("刑法.pdf", "%E5%88%91%E6%B3%95.pdf"),
        ("قانون.pdf", "%D9%82%D8%A7%D9%86%D9%88%D9%86.pdf"),
        ('a"b;c.pdf', "a%22b%3Bc.pdf"),
    ],
)
async def test_attachment_download_names_file(
    service, staffed_review, filename, encoded
) -> None:
    request_id = (await create_request(service)).json()["id"]
    message = (await answer(service, request_id)).json()
    attachment = (
        await upload(
            service, request_id, message["id"], b"%PDF-1.7", "application/pdf", filename
        )
    ).json()

    downloaded = await service.client.get(
        service.url(
            f"/requests/{request_id}/messages/{message['id']}"
            f"/attachments/{attachment['id']}"
        ),
        headers=service.expert("BRA"),
    )

    assert downloaded.status_code == 200
    assert downloaded.content == b"%PDF-1.7"
    disposition = downloaded.headers["content-disposition"]
    assert disposition == f"attachment; filename*=UTF-8''{encoded}"


@pytest.mark.parametrize(
    ("participants", "problem"),
    [([""], "must not be blank"), (["  "], "must not be blank"), (["a" * 201], "200")],
)
async def test_meeting_participant_invalid(
    service, staffed_review, participants, problem
) -> None:
    meeting = {"date": "2026-01-05", "participants": participants, "minutes": "Met."}

    response = await service.client.post(
        service.url("/meetings"), json=meeting, headers=service.expert("BRA")
    )
    stored = await service.client.get(
        service.url("/meetings"), headers=service.secretariat
    )

    assert response.status_code == 422
    assert response.json()["field"] == "participants.0"
    assert problem in response.json()["problems"][0]["message"]
    assert stored.json() == []


async def test_meeting_participant_repeated(service, staffed_review) -> None:
    participants = ["Ana Silva", "Ben Okafor", "Ana Silva"]
    meeting = {"date": "2026-01-05", "participants": participants, "minutes": "Met."}

    response = await service.client.post(
        service.url("/meetings"), json=meeting, headers=service.expert("BRA")
    )
    stored = await service.client.get(
        service.url("/meetings"), headers=service.secretariat
    )

    assert response.status_code == 422
    [problem] = response.json()["problems"]
    assert problem["field"] == "participants"
    assert problem["message"] == (
        "'Ana Silva' listed more than once; list each value once"
    )
    assert stored.json() == []


async def test_attachment_too_large(service, staffed_review) -> None:
    request_id = (await create_request(service)).json()["id"]
    message = (await answer(service, request_id)).json()
    limit = service.runtime.settings.attachment_max_bytes

    response = await upload(
        service, request_id, message["id"], b"x" * (limit + 1), "application/pdf"
    )

    assert response.status_code == 413
    assert response.json()["field"] == "body"
    [stored] = await requests(service)
    assert stored["messages"][0]["attachments"] == []


async def test_attachment_type_unsupported(service, staffed_review) -> None:
    request_id = (await create_request(service)).json()["id"]
    message = (await answer(service, request_id)).json()

    response = await upload(
        service, request_id, message["id"], b"MZ", "application/x-msdownload"
    )

    assert response.status_code == 415
    assert response.json()["field"] == "content-type"
    [stored] = await requests(service)
    assert stored["messages"][0]["attachments"] == []


async def test_attachment_to_clarification_invalid(service, staffed_review) -> None:
    request_id = (await create_request(service)).json()["id"]
    message = await service.client.post(
        service.url(f"/requests/{request_id}/messages"),
        json={"kind": "clarification", "text": "Which paragraph?"},
        headers=service.expert("BRA"),
    )

    response = await upload(
        service, request_id, message.json()["id"], b"%PDF", "application/pdf"
    )

    assert message.status_code == 201
    assert response.status_code == 422
    assert response.json()["field"] == "message_id"


async def test_clarification_thread_in_order(service, staffed_review) -> None:
    request_id = (await create_request(service)).json()["id"]
    await answer(service, request_id, "Article 416 bis.")
    service.clock.advance(hours=1)
    await service.client.post(
        service.url(f"/requests/{request_id}/messages"),
        json={"kind": "clarification", "text": "Which paragraph?"},
        headers=service.expert("FRA"),
    )

    [stored] = await requests(service)

    assert [m["kind"] for m in stored["messages"]] == ["answer", "clarification"]
    assert [m["state"] for m in stored["messages"]] == ["ITA", "FRA"]


async def test_request_of_other_review_not_found(service, staffed_review) -> None:
    response = await answer(service, "no-such-request")

    assert response.status_code == 404


async def test_meeting_recorded(service, staffed_review) -> None:
    meeting = {
        "date": "2026-01-05",
        "participants": ["expert@fra.example", "focal.point@ita.example"],
        "minutes": "Discussed the definition of an organized criminal group.",
    }

    response = await service.client.post(
        service.url("/meetings"), json=meeting, headers=service.expert("BRA")
    )
    listed = await service.client.get(
        service.url("/meetings"), headers=service.focal_point("ITA")
    )

    assert response.status_code == 201
    assert listed.json()[0]["minutes"] == meeting["minutes"]


@pytest.mark.parametrize("date", ["2026-03-01", "1900-01-01"])
async def test_implausible_meeting_invalid(service, staffed_review, date) -> None:
    meeting = {"date": date, "participants": ["a"], "minutes": "Planned."}

    response = await service.client.post(
        service.url("/meetings"), json=meeting, headers=service.expert("BRA")
    )
    listed = await service.client.get(
        service.url("/meetings"), headers=service.secretariat
    )

    assert response.status_code == 422
    assert "date" in response.text
    assert listed.json() == []


async def test_dialogue_after_completion_names_action(service, staffed_review) -> None:
    request_id = (await create_request(service)).json()["id"]
    message_id = (await answer(service, request_id)).json()["id"]
    await service.complete_fully()
    meeting = {"date": "2026-01-05", "participants": ["a"], "minutes": "Held."}

    responses = {
        "request information in": await create_request(service),
        "answer a request in": await answer(service, request_id),
        "write a clarification in": await service.client.post(
            service.url(f"/requests/{request_id}/messages"),
            json={"kind": "clarification", "text": "Which paragraph?"},
            headers=service.expert("FRA"),
        ),
        "attach a file in": await upload(
            service, request_id, message_id, b"%PDF", "application/pdf"
        ),
        "record a meeting of": await service.client.post(
            service.url("/meetings"), json=meeting, headers=service.expert("BRA")
        ),
    }

    for action, response in responses.items():
        assert response.status_code == 409, action
        message = response.json()["detail"]
        assert message.startswith(f"cannot {action} review {staffed_review}:")
        assert "it is completed" in message
