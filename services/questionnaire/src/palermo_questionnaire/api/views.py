"""Questionnaires as shown to a State, in the language it asked for."""

import functools
from typing import Annotated, Any

from fastapi import Depends, Header, Query

from palermo_questionnaire.api.schemas import (
    ConditionPublic,
    OptionPublic,
    QuestionnairePublic,
    QuestionPublic,
    SectionPublic,
)
from palermo_questionnaire.domain.answers import (
    ANSWER_MODELS,
    CHOICES,
    AssistanceType,
    Kind,
    Priority,
)
from palermo_questionnaire.domain.forms import Question, Questionnaire
from palermo_questionnaire.domain.labels import Language, Translator, negotiate


def request_language(
    lang: Annotated[
        Language | None,
        Query(description="ISO 639-1 code: ar, zh, en, fr, ru or es"),
    ] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> Language:
    """Return `lang` if given, else the best match of Accept-Language."""
    return lang or negotiate(accept_language)


RequestLanguage = Annotated[Language, Depends(request_language)]


def questionnaire_public(
    questionnaire: Questionnaire, language: Language
) -> QuestionnairePublic:
    translator = Translator.for_language(language)
    sections = [
        SectionPublic(
            article=section.article,
            title=translator.label("section", article=section.article),
            questions=[_question_public(q, translator) for q in section.questions],
        )
        for section in questionnaire.sections
    ]
    return QuestionnairePublic(
        id=questionnaire.id,
        instrument=questionnaire.instrument,
        cluster=questionnaire.cluster,
        version=questionnaire.version,
        title=translator.title(
            questionnaire.instrument.value, questionnaire.cluster.value
        ),
        language=language,
        fallback_labels=translator.fallback_labels(),
        sections=sections,
        answer_schemas=_answer_schemas(),
    )


def _question_public(question: Question, translator: Translator) -> QuestionPublic:
    condition = question.shown_when
    return QuestionPublic(
        id=question.id,
        article=question.article,
        kind=question.kind.value,
        label=translator.label(question.label_key, article=question.article),
        required=question.required,
        shown_when=(
            ConditionPublic(
                question_id=condition.question_id, values=list(condition.values)
            )
            if condition
            else None
        ),
        explanation_required_for=list(question.explanation_required_for),
        explanation_label=(
            translator.label("question.explanation")
            if question.kind is Kind.CHOICE
            else None
        ),
        options=_options(question.kind, translator),
        priorities=(
            [_option("priority", p, translator) for p in Priority]
            if question.kind is Kind.ASSISTANCE_NEEDS
            else []
        ),
    )


@functools.cache
def _answer_schemas() -> dict[str, dict[str, Any]]:
    return {
        kind.value: model.model_json_schema() for kind, model in ANSWER_MODELS.items()
    }


def _options(kind: Kind, translator: Translator) -> list[OptionPublic]:
    if kind is Kind.CHOICE:
        return [_option("option", value, translator) for value in CHOICES]
    if kind is Kind.ASSISTANCE_NEEDS:
        return [_option("assistance", t, translator) for t in AssistanceType]
    return []


def _option(prefix: str, value: str, translator: Translator) -> OptionPublic:
    return OptionPublic(value=value, label=translator.label(f"{prefix}.{value}"))
