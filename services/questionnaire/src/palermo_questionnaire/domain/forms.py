"""Questionnaire definitions and the rules for answers; no I/O.

One questionnaire per instrument and cluster, one question per article of
annex table 1 of resolution 8/2. Articles 8 and 9 of the Convention are
asked only of States that are not party to the Convention against
Corruption (table 1, note a).
"""

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from palermo_shared.reference.instruments import (
    ARTICLES,
    CLUSTER_TITLES,
    INSTRUMENT_TITLES,
    Cluster,
    Instrument,
    articles_for,
)

QUESTIONNAIRE_VERSION = 1
EXPLANATION_MAX_LENGTH = 20_000


class Answer(BaseModel):
    """Answer to one article: the extent of implementation and an explanation."""

    model_config = ConfigDict(extra="forbid")

    implementation: Literal["yes", "partly", "no"]
    explanation: str = Field(default="", max_length=EXPLANATION_MAX_LENGTH)


@dataclass(frozen=True)
class Question:
    id: str
    article: int
    text: str


@dataclass(frozen=True)
class Questionnaire:
    id: str
    instrument: Instrument
    cluster: Cluster
    version: int
    title: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


def question_id(article: int) -> str:
    return f"article-{article}"


def questionnaire_for(
    instrument: Instrument, cluster: Cluster, *, party_to_uncac: bool
) -> Questionnaire:
    """Return the questionnaire as it applies to one State."""
    articles = articles_for(instrument, cluster, party_to_uncac=party_to_uncac)
    questions = tuple(
        Question(
            id=question_id(article),
            article=article,
            text=(
                f"Has your State adopted the measures required by article {article}, "
                "and how are they applied in practice?"
            ),
        )
        for article in articles
    )
    return Questionnaire(
        id=f"{instrument.value}.{cluster.value}.v{QUESTIONNAIRE_VERSION}",
        instrument=instrument,
        cluster=cluster,
        version=QUESTIONNAIRE_VERSION,
        title=f"{INSTRUMENT_TITLES[instrument]}: {CLUSTER_TITLES[cluster]}",
        questions=questions,
    )


def has_cluster(instrument: Instrument, cluster: Cluster) -> bool:
    return cluster in ARTICLES[instrument]


def answer_problems(
    questionnaire: Questionnaire, answers: dict[str, Any]
) -> list[Problem]:
    """List every answer that names an unknown question or has the wrong shape."""
    known = {q.id for q in questionnaire.questions}
    problems = []
    for qid, raw in answers.items():
        field = f"answers.{qid}"
        if qid not in known:
            problems.append(
                Problem(field, f"unknown question {qid!r} in {questionnaire.id}")
            )
            continue
        try:
            Answer.model_validate(raw)
        except ValidationError as error:
            problems.extend(_validation_problems(field, error))
    return problems


def completeness_problems(
    questionnaire: Questionnaire, answers: dict[str, Any]
) -> list[Problem]:
    """List every unanswered question and every missing explanation."""
    problems = []
    for question in questionnaire.questions:
        field = f"answers.{question.id}"
        raw = answers.get(question.id)
        if raw is None:
            problems.append(Problem(field, "answer required"))
        elif raw["implementation"] != "yes" and not raw.get("explanation", "").strip():
            problems.append(
                Problem(
                    field, "explanation required when implementation is partly or no"
                )
            )
    return problems


def _validation_problems(field: str, error: ValidationError) -> list[Problem]:
    return [
        Problem(".".join([field, *map(str, e["loc"])]), e["msg"])
        for e in error.errors()
    ]
