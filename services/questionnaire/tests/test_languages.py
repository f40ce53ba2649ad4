"""Questionnaire labels in the six official languages, with English fallback."""

import pytest

from palermo_questionnaire.domain.labels import Language, negotiate

FORM = "/phases/phase-1/questionnaires/convention/criminalization"


async def test_lang_parameter_french(service, phase) -> None:
    response = await service.client.get(FORM, params={"state": "ITA", "lang": "fr"})

    body = response.json()
    question = body["sections"][0]["questions"][0]
    assert response.headers["Content-Language"] == "fr"
    assert body["language"] == "fr"
    assert question["label"].startswith("Votre État a-t-il adopté")
    assert [o["label"] for o in question["options"]] == ["Oui", "En partie", "Non"]


async def test_accept_language_spanish(service, phase) -> None:
    response = await service.client.get(
        FORM, params={"state": "ITA"}, headers={"Accept-Language": "de, es;q=0.8"}
    )

    assert response.json()["language"] == "es"
    assert response.json()["title"].startswith("Convención de las Naciones Unidas")


async def test_untranslated_labels_fall_back(service, phase) -> None:
    response = await service.client.get(FORM, params={"state": "ITA", "lang": "ar"})

    body = response.json()
    statistics = body["sections"][0]["questions"][4]
    assert statistics["label"].startswith("Number of convictions")
    assert "question.statistics.criminalization" in body["fallback_labels"]
    assert "question.implementation" not in body["fallback_labels"]


async def test_english_has_no_fallback(service, phase) -> None:
    response = await service.client.get(FORM, params={"state": "ITA"})

    assert response.json()["language"] == "en"
    assert response.json()["fallback_labels"] == []


async def test_unsupported_lang_invalid(service, phase) -> None:
    response = await service.client.get(FORM, params={"state": "ITA", "lang": "de"})

    assert response.status_code == 422
    assert response.json()["field"] == "lang"


async def test_response_records_language(service, phase) -> None:
    path = "/phases/phase-1/responses/ITA/convention/criminalization"
    answers = {"article-2.implementation": {"value": "yes"}}

    response = await service.client.put(
        path, json={"answers": answers}, headers={"Accept-Language": "ru-RU"}
    )

    assert response.json()["language"] == "ru"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, Language.ENGLISH),
        ("", Language.ENGLISH),
        ("de-DE, *;q=0.5", Language.ENGLISH),
        ("zh-Hans-CN", Language.CHINESE),
        ("fr;q=0.4, ar;q=0.9", Language.ARABIC),
        ("es, fr", Language.SPANISH),
        ("fr;q=0, ru", Language.RUSSIAN),
        ("fr;q=abc", Language.ENGLISH),
    ],
)
def test_negotiate_accept_language(header, language) -> None:
    assert negotiate(header) is language
