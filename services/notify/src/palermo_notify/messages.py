"""E-mail messages rendered from Jinja2 templates in the six UN languages.

Templates live in `templates/<language>/<kind>.txt`: the first line is the
subject and the rest is the plain-text body. A language without a template
for a kind falls back to English. Dates are formatted by Babel in the
recipient's language, in UTC.
"""

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from babel.dates import format_date
from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound

from palermo_notify.domain.contacts import Language

logger = logging.getLogger(__name__)

FALLBACK_LANGUAGE = Language.ENGLISH

_environment = Environment(
    loader=PackageLoader("palermo_notify", "templates"),
    # Plain-text e-mails: escaping HTML would corrupt them.
    autoescape=False,
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    language: str


def render_message(
    kind: str, language: str, facts: dict[str, Any], links: dict[str, str]
) -> Message:
    """Render the message of `kind` in `language`, or in English without one."""
    template, used_language = _template(kind, language)
    occurred_at: dt.datetime = facts["occurred_at"]
    context = {
        **facts,
        **links,
        "date": format_date(occurred_at.date(), format="long", locale=used_language),
    }
    subject, _, body = template.render(context).partition("\n")
    return Message(
        subject=subject.strip(), body=body.lstrip("\n"), language=used_language
    )


def _template(kind: str, language: str) -> tuple[Any, str]:
    try:
        return _environment.get_template(f"{language}/{kind}.txt"), language
    except TemplateNotFound:
        logger.warning(
            "no %s template for message %s; sending it in English",
            language,
            kind,
        )
        fallback = FALLBACK_LANGUAGE.value
        return _environment.get_template(f"{fallback}/{kind}.txt"), fallback
