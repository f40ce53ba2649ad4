"""Rules for answers: their shape, completeness, visibility and differences."""

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from palermo_questionnaire.domain.answers import ANSWER_MODELS, Kind
from palermo_questionnaire.domain.forms import Questionnaire


@dataclass(frozen=True)
class Problem:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


@dataclass(frozen=True)
class Change:
    question_id: str
    article: int
    change: Literal["added", "removed", "changed"]
    before: Any
    after: Any


def answer_problems(
    questionnaire: Questionnaire,
    answers: dict[str, Any],
    attachment_ids: set[str],
) -> list[Problem]:
    """List every answer that names an unknown question or has the wrong shape."""
    problems = []
    for question_id, raw in answers.items():
        field = f"answers.{question_id}"
        question = questionnaire.questions_by_id.get(question_id)
        if question is None:
            problems.append(Problem(field, f"unknown question in {questionnaire.id}"))
            continue
        try:
            ANSWER_MODELS[question.kind].model_validate(raw)
        except ValidationError as error:
            problems.extend(_validation_problems(field, error))
            continue
        if question.kind is Kind.ATTACHMENTS:
            problems.extend(_attachment_problems(field, raw, attachment_ids))
    return problems


def completeness_problems(
    questionnaire: Questionnaire, answers: dict[str, Any]
) -> list[Problem]:
    """List every required answer missing and every explanation missing."""
    problems = []
    for question in questionnaire.questions:
        if not question.shown(answers):
            continue
        field = f"answers.{question.id}"
        answer = answers.get(question.id)
        if answer is None:
            if question.required:
                problems.append(Problem(field, "answer required"))
            continue
        needs_explanation = answer.get("value") in question.explanation_required_for
        if needs_explanation and not answer.get("explanation", "").strip():
            problems.append(
                Problem(
                    f"{field}.explanation",
                    "explanation required when the answer is "
                    + " or ".join(question.explanation_required_for),
                )
            )
        elif question.kind is Kind.CITATIONS and not answer["value"]:
            problems.append(Problem(f"{field}.value", "at least one citation required"))
    return problems


def shown_answers(
    questionnaire: Questionnaire, answers: dict[str, Any]
) -> dict[str, Any]:
    """Keep only the answers to questions shown for the other answers.

    An answer to a follow-up that the official later hid (by changing the
    answer it depends on) is dropped when the response is submitted.
    """
    return {
        question.id: answers[question.id]
        for question in questionnaire.questions
        if question.id in answers and question.shown(answers)
    }


def differences(
    questionnaire: Questionnaire, before: dict[str, Any], after: dict[str, Any]
) -> list[Change]:
    """List the questions whose answer was added, removed or changed."""
    changes = []
    for question in questionnaire.questions:
        old, new = before.get(question.id), after.get(question.id)
        if old == new:
            continue
        change: Literal["added", "removed", "changed"] = "changed"
        if old is None:
            change = "added"
        elif new is None:
            change = "removed"
        changes.append(Change(question.id, question.article, change, old, new))
    return changes


def _attachment_problems(
    field: str, raw: dict[str, Any], attachment_ids: set[str]
) -> list[Problem]:
    return [
        Problem(f"{field}.value.{index}", f"attachment {value} not found")
        for index, value in enumerate(raw["value"])
        if value not in attachment_ids
    ]


def _validation_problems(field: str, error: ValidationError) -> list[Problem]:
    return [
        Problem(".".join([field, *map(str, e["loc"])]), e["msg"])
        for e in error.errors()
    ]
