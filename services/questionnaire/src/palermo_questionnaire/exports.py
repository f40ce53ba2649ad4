"""A response as JSON, CSV and a printable HTML document; no I/O.

The HTML document is self-contained (inline stylesheet, no scripts, fonts
or images from elsewhere), so it prints and archives as it is.
"""

import csv
import datetime as dt
import html
import io
from dataclasses import dataclass
from typing import Any

from palermo_questionnaire.domain.answers import Kind
from palermo_questionnaire.domain.forms import Question, Questionnaire
from palermo_questionnaire.domain.labels import Language, Translator

CSV_COLUMNS = ("article", "question_id", "kind", "question", "answer", "explanation")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportedResponse:
    """Content of an export: one submitted version or the working copy of a response."""

    response_id: str
    phase_id: str
    state: str
    state_name: str
    status: str
    version: int
    language: Language
    answers: dict[str, Any]
    submitted_at: dt.datetime | None
    contributions: list[dict[str, Any]]
    attachments: dict[str, str]


def as_json(questionnaire: Questionnaire, exported: ExportedResponse) -> dict[str, Any]:
    translator = Translator.for_language(exported.language)
    return {
        "response_id": exported.response_id,
        "phase_id": exported.phase_id,
        "state": exported.state,
        "questionnaire_id": questionnaire.id,
        "title": _title(questionnaire, translator),
        "status": exported.status,
        "version": exported.version,
        "language": exported.language.value,
        "submitted_at": _iso(exported.submitted_at),
        "sections": [
            {
                "article": section.article,
                "questions": [
                    {
                        "id": q.id,
                        "kind": q.kind.value,
                        "label": translator.label(q.label_key, article=q.article),
                        "answer": exported.answers.get(q.id),
                    }
                    for q in section.questions
                ],
            }
            for section in questionnaire.sections
        ],
        "contributions": exported.contributions,
        "attachments": [
            {"id": i, "filename": name} for i, name in exported.attachments.items()
        ],
        "fallback_labels": translator.fallback_labels(),
    }


def as_csv(questionnaire: Questionnaire, exported: ExportedResponse) -> str:
    """Return one row per question, answered or not, in the questionnaire's order."""
    translator = Translator.for_language(exported.language)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for question in questionnaire.questions:
        answer = exported.answers.get(question.id)
        text = _answer_text(question, answer, translator, exported.attachments)
        explanation = (answer or {}).get("explanation", "")
        writer.writerow(
            [
                question.article,
                question.id,
                question.kind.value,
                translator.label(question.label_key, article=question.article),
                _csv_safe(text),
                _csv_safe(explanation),
            ]
        )
    return buffer.getvalue()


def _csv_safe(text: str) -> str:
    """Prefix text a State typed with an apostrophe if it starts like a formula.

    Spreadsheets run a cell that starts with one of FORMULA_PREFIXES as a
    formula, and show it as text after a leading apostrophe.
    """
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def as_html(questionnaire: Questionnaire, exported: ExportedResponse) -> str:
    translator = Translator.for_language(exported.language)
    direction = "rtl" if exported.language is Language.ARABIC else "ltr"
    title = _title(questionnaire, translator)
    parts = [
        f'<!DOCTYPE html>\n<html lang="{exported.language.value}" dir="{direction}">',
        '<head><meta charset="utf-8">',
        f"<title>{_e(exported.state)}: {_e(title)}</title>",
        f"<style>{STYLESHEET}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        _header_table(questionnaire, exported),
    ]
    for section in questionnaire.sections:
        parts.append(
            _section_html(section.article, section.questions, exported, translator)
        )
    parts.append(_contributions_html(exported.contributions))
    parts.append("</body></html>")
    return "\n".join(parts)


STYLESHEET = """
body { font-family: Georgia, "Times New Roman", serif; margin: 2em; color: #000; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; border-bottom: 1px solid #444; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1em; }
th, td { border: 1px solid #999; padding: 0.3em 0.5em; vertical-align: top;
  text-align: start; }
th { width: 35%; background: #eee; }
.unanswered { color: #666; font-style: italic; }
@media print {
  body { margin: 0; font-size: 10.5pt; }
  section { break-inside: avoid-page; }
  h2 { break-after: avoid; }
  th { background: none; }
  @page { margin: 2cm; }
}
"""


def _header_table(questionnaire: Questionnaire, exported: ExportedResponse) -> str:
    rows = [
        ("State", f"{exported.state_name} ({exported.state})"),
        ("Questionnaire", questionnaire.id),
        ("Phase", exported.phase_id),
        ("Status", exported.status),
        ("Version", str(exported.version)),
        ("Submitted", _iso(exported.submitted_at) or "-"),
    ]
    cells = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    return f"<table>{cells}</table>"


def _section_html(
    article: int,
    questions: tuple[Question, ...],
    exported: ExportedResponse,
    translator: Translator,
) -> str:
    rows = []
    for question in questions:
        answer = exported.answers.get(question.id)
        label = translator.label(question.label_key, article=question.article)
        text = _answer_text(question, answer, translator, exported.attachments)
        cell = _e(text) if text else '<span class="unanswered">-</span>'
        if answer and answer.get("explanation"):
            cell += f"<br>{_e(answer['explanation'])}"
        rows.append(f"<tr><th>{_e(label)}</th><td>{cell}</td></tr>")
    heading = translator.label("section", article=article)
    return f"<section><h2>{_e(heading)}</h2><table>{''.join(rows)}</table></section>"


def _contributions_html(contributions: list[dict[str, Any]]) -> str:
    if not contributions:
        return ""
    rows = "".join(
        f"<tr><th>{_e(c['organization'])} ({_e(c['category'])})</th>"
        f"<td>{_e(c['summary'])}</td></tr>"
        for c in contributions
    )
    return f"<section><h2>National consultation</h2><table>{rows}</table></section>"


def _answer_text(
    question: Question,
    answer: dict[str, Any] | None,
    translator: Translator,
    attachments: dict[str, str],
) -> str:
    if answer is None:
        return ""
    value = answer["value"]
    if question.kind is Kind.CHOICE:
        return translator.label(f"option.{value}")
    if question.kind is Kind.CITATIONS:
        return "; ".join(_citation_text(c) for c in value)
    if question.kind is Kind.NUMBER:
        return _count_text(answer)
    if question.kind is Kind.ATTACHMENTS:
        return "; ".join(attachments.get(i, i) for i in value)
    if question.kind is Kind.ASSISTANCE_NEEDS:
        return "; ".join(_need_text(n, translator) for n in value)
    return str(value)


def _count_text(answer: dict[str, Any]) -> str:
    text = str(answer["value"])
    year = answer.get("reference_year")
    if year:
        text += f" ({year})"
    return _with_detail(text, answer.get("note", ""))


def _citation_text(citation: dict[str, Any]) -> str:
    parts = [citation["title"], citation.get("reference", "")]
    if citation.get("year"):
        parts.append(str(citation["year"]))
    parts.append(citation.get("url", ""))
    text = ", ".join(p for p in parts if p)
    return _with_detail(text, citation.get("excerpt", ""))


def _with_detail(text: str, detail: str) -> str:
    return f"{text}: {detail}" if detail else text


def _need_text(need: dict[str, Any], translator: Translator) -> str:
    kind = translator.label(f"assistance.{need['type']}")
    priority = translator.label(f"priority.{need['priority']}")
    return _with_detail(f"{kind} ({priority})", need.get("description", ""))


def _title(questionnaire: Questionnaire, translator: Translator) -> str:
    return translator.title(questionnaire.instrument.value, questionnaire.cluster.value)


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _e(text: str) -> str:
    return html.escape(text, quote=True)
