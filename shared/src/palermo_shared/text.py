"""Checks of the free text that requests carry.

Annotate every string a request carries with `SINGLE_LINE` or `MULTI_LINE`,
or give it a pattern that rejects control characters. PostgreSQL cannot
store U+0000 in a text column, so without the check a NUL fails the request
with 500 there, while SQLite stores it silently.
"""

import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from palermo_shared.errors import InvalidInput

# C0 control characters have no place in text typed by an official, and a
# NUL would be written as is into CSV and HTML exports. Multi-line text may
# keep tab, line feed and carriage return.
_SINGLE_LINE_FORBIDDEN = r"\x00-\x1f"
_MULTI_LINE_FORBIDDEN = r"\x00-\x08\x0b\x0c\x0e-\x1f"

# The same rules as JSON Schema patterns, so that clients can check first.
SINGLE_LINE_PATTERN = f"^[^{_SINGLE_LINE_FORBIDDEN}]*$"
MULTI_LINE_PATTERN = f"^[^{_MULTI_LINE_FORBIDDEN}]*$"

_SINGLE_LINE_CONTROL = re.compile(f"[{_SINGLE_LINE_FORBIDDEN}]")
_MULTI_LINE_CONTROL = re.compile(f"[{_MULTI_LINE_FORBIDDEN}]")

# JSON can carry a lone surrogate as an escape ("\ud800"), but it is no
# character and has no UTF-8 encoding, so a database write, a hash or a
# response that takes it fails.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def not_blank(text: str) -> str:
    """Return `text`, or raise `ValueError` when it has only white space.

    A length check alone lets "   " through as an observation or a reason.
    """
    if not text.strip():
        raise ValueError("must not be blank")
    return text


# Annotate a text field with `NOT_BLANK` to reject blank values with 422.
NOT_BLANK = AfterValidator(not_blank)


def control_character_problem(text: str, *, multi_line: bool) -> str | None:
    """Return why `text` is invalid because of a control character, or None."""
    control = _MULTI_LINE_CONTROL if multi_line else _SINGLE_LINE_CONTROL
    found = control.search(text)
    if found is None:
        return None
    return (
        f"invalid control character U+{ord(found.group()):04X} at position "
        f"{found.start()}; remove it ({_allowed_formatting(multi_line)})"
    )


def surrogate_problem(text: str) -> str | None:
    """Return why `text` is invalid because of a lone surrogate, or None."""
    found = _LONE_SURROGATE.search(text)
    if found is None:
        return None
    return (
        f"invalid lone surrogate U+{ord(found.group()):04X} at position "
        f"{found.start()}; send the text as valid Unicode"
    )


def _allowed_formatting(multi_line: bool) -> str:
    if multi_line:
        return "tab, line feed and carriage return are allowed"
    return "this field is one line, so tabs and line breaks are not allowed either"


@dataclass(frozen=True)
class ControlCharacterCheck:
    """Pydantic annotation that rejects C0 control characters and lone
    surrogates in a string.

    A multi-line check allows tab, line feed and carriage return. The field's
    JSON Schema gets the matching pattern, unless it has a pattern already.
    """

    multi_line: bool

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        pattern = MULTI_LINE_PATTERN if self.multi_line else SINGLE_LINE_PATTERN
        json_schema.setdefault("pattern", pattern)
        return json_schema

    def check(self, text: str) -> str:
        problem = control_character_problem(text, multi_line=self.multi_line)
        if problem is None:
            problem = surrogate_problem(text)
        if problem is not None:
            raise ValueError(problem)
        return text


# Names, titles, seeds, codes and ids: one line, no control character.
SINGLE_LINE = ControlCharacterCheck(multi_line=False)
# Observations, comments, reasons, summaries: tabs and line breaks allowed.
MULTI_LINE = ControlCharacterCheck(multi_line=True)

SingleLineText = Annotated[str, SINGLE_LINE]
MultiLineText = Annotated[str, MULTI_LINE]


class PathControlCharacterMiddleware:
    """ASGI middleware that rejects a path with a control character with 422.

    Path parameters, such as ids, reach database queries, and no id or code
    contains a control character. Checking the decoded path once covers every
    route, before a query with a NUL fails with 500 on PostgreSQL.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = None
        if scope["type"] == "http":
            problem = control_character_problem(scope["path"], multi_line=False)
        if problem is None:
            await self.app(scope, receive, send)
            return

        error = InvalidInput(f"invalid path: {problem}", field="path")
        response = JSONResponse(status_code=error.status_code, content=error.body())
        await response(scope, receive, send)
