"""The Secretariat's cross-State view of submitted responses; no I/O.

Statements are grouped by instrument, cluster, article and regional group,
and listed by State code within a group. Nothing is scored or ranked: the
only figures are counts of responses and of assistance needs.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from palermo_questionnaire.domain.answers import Kind
from palermo_questionnaire.domain.forms import Question, Questionnaire

GroupKey = tuple[str, str, int, str]


@dataclass(frozen=True)
class SubmittedAnswers:
    state: str
    state_name: str
    regional_group: str
    questionnaire: Questionnaire
    answers: dict[str, Any]


@dataclass
class ArticleGroup:
    responses: int = 0
    difficulties: list[dict[str, str]] = field(default_factory=list)
    good_practices: list[dict[str, str]] = field(default_factory=list)
    assistance_needs: list[dict[str, str]] = field(default_factory=list)

    def needs_by_type(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for need in self.assistance_needs:
            counts[need["type"]][need["priority"]] += 1
        return {k: dict(sorted(v.items())) for k, v in sorted(counts.items())}


def aggregate(submissions: list[SubmittedAnswers]) -> dict[GroupKey, ArticleGroup]:
    """Group statements by (instrument, cluster, article, regional group)."""
    groups: dict[GroupKey, ArticleGroup] = defaultdict(ArticleGroup)
    for submission in sorted(submissions, key=lambda s: s.state):
        form = submission.questionnaire
        for section in form.sections:
            key = (
                form.instrument.value,
                form.cluster.value,
                section.article,
                submission.regional_group,
            )
            group = groups[key]
            group.responses += 1
            for question in section.questions:
                answer = submission.answers.get(question.id)
                if answer is not None:
                    _collect(group, question, answer, submission)
    return dict(sorted(groups.items()))


def _collect(
    group: ArticleGroup,
    question: Question,
    answer: dict[str, Any],
    submission: SubmittedAnswers,
) -> None:
    who = {"state": submission.state, "state_name": submission.state_name}
    if question.name == "obstacles":
        group.difficulties.append({**who, "text": answer["value"]})
    elif question.name == "practice":
        group.good_practices.append({**who, "text": answer["value"]})
    elif question.kind is Kind.ASSISTANCE_NEEDS:
        group.assistance_needs.extend(
            {
                **who,
                "type": n["type"],
                "priority": n["priority"],
                "description": n.get("description", ""),
            }
            for n in answer["value"]
        )
