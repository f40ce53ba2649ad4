"""Consultation contributions, attachments and exports of a response."""

import csv
import io
from typing import Any

import pytest

PATH = "/phases/phase-1/responses/ITA/convention/criminalization"
PDF = b"%PDF-1.4 synthetic test document"


async def create_draft(service, answers: dict[str, Any] | None = None) -> Any:
    answers = answers or {"article-2.implementation": {"value": "yes"}}
    response = await service.client.put(PATH, json={"answers": answers})
    assert response.status_code == 200, response.text
    return response


async def upload(service, content: bytes = PDF, content_type: str = "application/pdf"):
    return await service.client.post(
        f"{PATH}/attachments",
        params={"filename": "penal-code.pdf"},
        content=content,
        headers={"Content-Type": content_type},
    )


async def attachments(service) -> list[dict[str, Any]]:
    response = await service.client.get(f"{PATH}/attachments")
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()
    return listed


CONTRIBUTION = {
    "category": "academia",
    "organization": "University of Palermo",
    "summary": "Comments on article 5.",
    "articles": [5],
}


async def test_contribution_recorded(service, phase) -> None:
    await create_draft(service)

    response = await service.client.post(f"{PATH}/contributions", json=CONTRIBUTION)

    listed = (await service.client.get(f"{PATH}/contributions")).json()
    assert response.status_code == 201
    assert [c["category"] for c in listed] == ["academia"]
    assert listed[0]["organization"] == "University of Palermo"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "government"}, "category"),
        ({"organization": ""}, "organization"),
        ({"organization": "   "}, "organization"),
        ({"summary": " \n\t"}, "summary"),
        ({"organization": "Transparency\x00 Forum"}, "organization"),
        ({"organization": "Transparency\nForum"}, "organization"),
        ({"summary": "Text\x00"}, "summary"),
        ({"summary": "Text\x1b[31m"}, "summary"),
        ({"articles": [99]}, "articles"),
        ({"rating": 5}, "rating"),
        ({"articles": [5, 6, 5]}, "articles"),
        ({"articles": list(range(1, 102))}, "articles"),
        ({"received_on": "1999-01-01"}, "received_on"),
        ({"received_on": "9999-12-31"}, "received_on"),
    ],
)
async def test_bad_contribution_invalid(service, phase, change, field) -> None:
    await create_draft(service)

    response = await service.client.post(
        f"{PATH}/contributions", json={**CONTRIBUTION, **change}
    )

    assert response.status_code == 422
    assert response.json()["field"] == field
    assert (await service.client.get(f"{PATH}/contributions")).json() == []


async def test_repeated_articles_named(service, phase) -> None:
    await create_draft(service)
    body = {**CONTRIBUTION, "articles": [6, 5, 6, 5, 7]}

    response = await service.client.post(f"{PATH}/contributions", json=body)

    [problem] = response.json()["problems"]
    assert problem["field"] == "articles"
    assert problem["message"] == "6, 5 listed more than once; list each value once"


async def test_contribution_without_response_not_found(service, phase) -> None:
    response = await service.client.post(f"{PATH}/contributions", json=CONTRIBUTION)

    assert response.status_code == 404


async def test_attachment_stored_and_cited(service, phase) -> None:
    draft = await create_draft(service)

    uploaded = (await upload(service)).json()
    answers = {
        **draft.json()["answers"],
        "article-2.documents": {"value": [uploaded["id"]]},
    }
    saved = await service.client.put(
        PATH, json={"answers": answers}, headers={"If-Match": draft.headers["ETag"]}
    )
    download = await service.client.get(f"{PATH}/attachments/{uploaded['id']}")

    assert uploaded["size"] == len(PDF)
    assert saved.status_code == 200
    assert download.content == PDF
    assert download.headers["Content-Type"] == "application/pdf"


async def test_disallowed_attachment_type(service, phase) -> None:
    response = await upload(service, content_type="application/x-msdownload")

    assert response.status_code == 415
    assert response.json()["field"] == "Content-Type"
    assert await attachments(service) == []


async def test_oversized_attachment(service, phase) -> None:
    limit = service.app.state.settings.attachment_max_bytes

    response = await upload(service, content=b"x" * (limit + 1))

    assert response.status_code == 413
    assert response.json()["field"] == "body"
    assert await attachments(service) == []


@pytest.mark.parametrize(
    "filename", ["../etc/passwd", "", "a" * 256, "law\x00.pdf", "law\n.pdf"]
)
async def test_bad_filename_invalid(service, phase, filename) -> None:
    response = await service.client.post(
        f"{PATH}/attachments",
        params={"filename": filename},
        content=PDF,
        headers={"Content-Type": "application/pdf"},
    )

    assert response.status_code == 422
    assert response.json()["field"] == "filename"
    assert await attachments(service) == []


async def test_attachment_of_other_response_not_found(service, phase) -> None:
    uploaded = (await upload(service)).json()
    other = "/phases/phase-1/responses/FRA/convention/criminalization"

    response = await service.client.get(f"{other}/attachments/{uploaded['id']}")

    assert response.status_code == 404


async def test_export_json(service, phase) -> None:
    await create_draft(service)

    exported = (await service.client.get(f"{PATH}/export.json")).json()

    first = exported["sections"][0]["questions"][0]
    assert exported["state"] == "ITA"
    assert first["answer"] == {"value": "yes"}


async def test_export_csv_one_row_per_question(service, phase) -> None:
    await create_draft(service)
    questionnaire = await service.questionnaire("ITA", "convention", "criminalization")

    response = await service.client.get(f"{PATH}/export.csv")

    rows = list(csv.DictReader(io.StringIO(response.text)))
    count = sum(len(s["questions"]) for s in questionnaire["sections"])
    assert response.headers["Content-Type"].startswith("text/csv")
    assert len(rows) == count
    assert rows[0]["answer"] == "Yes"


async def test_export_html_printable(service, phase) -> None:
    await create_draft(
        service,
        {"article-2.implementation": {"value": "no", "explanation": "<script>x"}},
    )
    await service.client.post(f"{PATH}/contributions", json=CONTRIBUTION)

    response = await service.client.get(f"{PATH}/export.html", params={"lang": "fr"})

    page = response.text
    assert "@media print" in page
    assert "<script>" not in page
    assert "&lt;script&gt;x" in page
    assert "http" not in page.lower().replace("http-equiv", "")
    assert "Non" in page
    assert "University of Palermo" in page


async def test_export_unknown_version_not_found(service, phase) -> None:
    await create_draft(service)

    response = await service.client.get(f"{PATH}/export.json", params={"version": 3})

    assert response.status_code == 404


async def export_rows(service) -> dict[str, dict[str, str]]:
    response = await service.client.get(f"{PATH}/export.csv")
    assert response.status_code == 200, response.text
    return {
        row["question_id"]: row for row in csv.DictReader(io.StringIO(response.text))
    }


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://x")', "+1", "-1", "@SUM(A1)", "\tx", "\rx"]
)
async def test_export_csv_formula_prefixed(service, phase, text) -> None:
    await create_draft(
        service,
        {
            "article-5.implementation": {"value": "partly", "explanation": text},
            "article-5.practice": {"value": text},
            "article-5.citations": {"value": [{"kind": "law", "title": text}]},
        },
    )

    rows = await export_rows(service)

    assert rows["article-5.implementation"]["explanation"] == "'" + text
    assert rows["article-5.practice"]["answer"] == "'" + text
    assert rows["article-5.citations"]["answer"] == "'" + text


STATISTICS = {"value": 12, "reference_year": 2024, "note": "Convictions only."}
CITATION = {
    "kind": "law",
    "title": "Criminal Code",
    "url": "https://laws.example/penal-code",
    "excerpt": "Whoever participates in an organized criminal group",
}


@pytest.mark.parametrize("export", ["export.csv", "export.html"])
async def test_export_shows_note_url_excerpt(service, phase, export) -> None:
    await create_draft(
        service,
        {
            "article-5.statistics": STATISTICS,
            "article-5.citations": {"value": [CITATION]},
        },
    )

    response = await service.client.get(f"{PATH}/{export}")

    assert response.status_code == 200
    assert STATISTICS["note"] in response.text
    assert CITATION["url"] in response.text
    assert CITATION["excerpt"] in response.text
