"""Questionnaire definitions, in published versions; no I/O.

One questionnaire per instrument and cluster, one section per article of
annex table 1 of resolution 8/2. Articles 8 and 9 of the Convention are
asked only of States that are not party to the Convention against
Corruption (table 1, note a).

A published version never changes: `PUBLISHED_FINGERPRINTS` contains the
fingerprint of each version's structure and English text, and the tests
fail when a definition no longer matches it. A change is a new version.

- Version 1, concise: one yes/partly/no question per article, with an
  explanation required when the answer is partly or no.
- Version 2, full: version 1's question, then citations of laws and cases
  (required when the answer is yes or partly), obstacles (shown for partly
  or no), good practices, statistics, documents and technical assistance
  needs, all optional.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from palermo_questionnaire.domain.answers import Kind
from palermo_questionnaire.domain.labels import ENGLISH
from palermo_shared.reference.instruments import (
    ARTICLES,
    Cluster,
    Instrument,
    articles_for,
)

LATEST_VERSION = 2

# sha256 of each published version's canonical JSON over every instrument
# and cluster, with articles 8 and 9 included.
PUBLISHED_FINGERPRINTS: dict[int, str] = {
    1: "ee3d6dbdf13fdba7c5f3eec3fa6b7f467677d3c080bbf8ead71b80d0c9603f55",
    2: "15af0f9fb0c76c694d200fb97e02fa3aef9ed3fa4b446ce20ac3df887f4e28e3",
}

PARTLY_OR_NO = ("partly", "no")
YES_OR_PARTLY = ("yes", "partly")


@dataclass(frozen=True)
class Condition:
    """A question is shown when another one is answered with one of `values`."""

    question_id: str
    values: tuple[str, ...]

    def holds(self, answers: dict[str, Any]) -> bool:
        answer = answers.get(self.question_id)
        return isinstance(answer, dict) and answer.get("value") in self.values


@dataclass(frozen=True)
class Question:
    id: str
    article: int
    kind: Kind
    label_key: str
    required: bool = False
    shown_when: Condition | None = None
    explanation_required_for: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The question's name within its section, e.g. `obstacles`."""
        return self.id.rsplit(".", 1)[1]

    def shown(self, answers: dict[str, Any]) -> bool:
        return self.shown_when is None or self.shown_when.holds(answers)


@dataclass(frozen=True)
class Section:
    article: int
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Questionnaire:
    id: str
    instrument: Instrument
    cluster: Cluster
    version: int
    sections: tuple[Section, ...]
    questions_by_id: dict[str, Question] = field(compare=False, repr=False)

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for s in self.sections for q in s.questions)

    @property
    def articles(self) -> list[int]:
        return [s.article for s in self.sections]


def questionnaire_id(instrument: Instrument, cluster: Cluster, version: int) -> str:
    return f"{instrument.value}.{cluster.value}.v{version}"


def question_id(article: int, name: str) -> str:
    return f"article-{article}.{name}"


def _concise_section(_cluster: Cluster, article: int) -> Section:
    return Section(article, (_implementation(article),))


def _full_section(cluster: Cluster, article: int) -> Section:
    implementation = _implementation(article)
    when_yes_or_partly = Condition(implementation.id, YES_OR_PARTLY)
    when_partly_or_no = Condition(implementation.id, PARTLY_OR_NO)

    def optional(name: str, kind: Kind, label_key: str) -> Question:
        return Question(question_id(article, name), article, kind, label_key)

    citations = Question(
        question_id(article, "citations"),
        article,
        Kind.CITATIONS,
        "question.citations",
        required=True,
        shown_when=when_yes_or_partly,
    )
    obstacles = Question(
        question_id(article, "obstacles"),
        article,
        Kind.TEXT,
        "question.obstacles",
        shown_when=when_partly_or_no,
    )
    return Section(
        article,
        (
            implementation,
            citations,
            obstacles,
            optional("practice", Kind.TEXT, "question.practice"),
            optional("statistics", Kind.NUMBER, f"question.statistics.{cluster}"),
            optional("documents", Kind.ATTACHMENTS, "question.documents"),
            optional("assistance", Kind.ASSISTANCE_NEEDS, "question.assistance"),
        ),
    )


def _implementation(article: int) -> Question:
    return Question(
        question_id(article, "implementation"),
        article,
        Kind.CHOICE,
        "question.implementation",
        required=True,
        explanation_required_for=PARTLY_OR_NO,
    )


SECTION_BUILDERS: dict[int, Callable[[Cluster, int], Section]] = {
    1: _concise_section,
    2: _full_section,
}


def questionnaire_for(
    instrument: Instrument,
    cluster: Cluster,
    *,
    party_to_uncac: bool,
    version: int = LATEST_VERSION,
) -> Questionnaire:
    """Return one version of a questionnaire as it applies to one State."""
    build_section = SECTION_BUILDERS[version]
    articles = articles_for(instrument, cluster, party_to_uncac=party_to_uncac)
    sections = tuple(build_section(cluster, article) for article in articles)
    return Questionnaire(
        id=questionnaire_id(instrument, cluster, version),
        instrument=instrument,
        cluster=cluster,
        version=version,
        sections=sections,
        questions_by_id={q.id: q for s in sections for q in s.questions},
    )


def has_cluster(instrument: Instrument, cluster: Cluster) -> bool:
    return cluster in ARTICLES[instrument]


def fingerprint(version: int) -> str:
    """Return the sha256 of a version's every questionnaire, in canonical JSON."""
    definitions = [
        _canonical(questionnaire_for(i, c, party_to_uncac=False, version=version))
        for i in Instrument
        for c in Cluster
        if has_cluster(i, c)
    ]
    text = json.dumps(definitions, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(questionnaire: Questionnaire) -> dict[str, Any]:
    return {
        "id": questionnaire.id,
        "questions": [
            {
                "id": q.id,
                "kind": q.kind.value,
                "label": ENGLISH[q.label_key],
                "required": q.required,
                "shown_when": (
                    [q.shown_when.question_id, list(q.shown_when.values)]
                    if q.shown_when
                    else None
                ),
                "explanation_required_for": list(q.explanation_required_for),
            }
            for q in questionnaire.questions
        ],
    }
