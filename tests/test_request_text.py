"""Every string a request carries rejects control characters.

The check walks each service's OpenAPI document: a string that is not a
date, an enumeration or a constant must have a pattern, and that pattern
must reject a NUL. `palermo_shared.text` gives free text its pattern.
"""

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from palermo_draw.main import create_app as create_draw
from palermo_draw.settings import DrawSettings
from palermo_gateway.main import create_app as create_gateway
from palermo_gateway.settings import GatewaySettings
from palermo_notify.main import create_app as create_notify
from palermo_notify.settings import NotifySettings
from palermo_questionnaire.main import create_app as create_questionnaire
from palermo_questionnaire.settings import QuestionnaireSettings
from palermo_review.main import create_app as create_review
from palermo_review.settings import ReviewSettings
from palermo_shared.bus.memory import MemoryBus

SERVICES: dict[str, Callable[[Path], FastAPI]] = {
    "draw": lambda data: create_draw(DrawSettings(data_dir=data), MemoryBus()),
    "questionnaire": lambda data: create_questionnaire(
        QuestionnaireSettings(data_dir=data), MemoryBus()
    ),
    "review": lambda data: create_review(ReviewSettings(data_dir=data), MemoryBus()),
    "notify": lambda data: create_notify(NotifySettings(data_dir=data), MemoryBus()),
    "gateway": lambda data: create_gateway(GatewaySettings(data_dir=data), MemoryBus()),
}

# Values of the usual shapes (a code, an e-mail address, a path segment)
# with a NUL inside: a field's own pattern must reject every one.
NUL_PROBES = ("\x00", "AB\x00", "\x00AB", "a\x00@example.org", "a@example.org\x00")

# Operations and query parameters whose strings never reach a database: the
# verification re-runs a published draw record in memory, the dashboard reads
# the gateway's projection, and the access token is checked and dropped.
NOT_STORED = {
    ("draw", "POST /verifications"),
    ("gateway", "GET /api/v1/dashboard query phase_id"),
    ("gateway", "GET /api/v1/events query access_token"),
}


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    reference = schema.get("$ref")
    if reference is None:
        return schema
    name = reference.removeprefix("#/components/schemas/")
    resolved: dict[str, Any] = document["components"]["schemas"][name]
    return resolved


def _strings(
    document: dict[str, Any], schema: dict[str, Any], path: str, seen: frozenset[str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield each string schema under `schema`, with the path of its field."""
    reference = schema.get("$ref")
    if reference in seen:
        return
    if reference is not None:
        seen = seen | {reference}
    schema = _resolve(document, schema)

    if schema.get("type") == "string":
        yield path, schema
    for name, child in schema.get("properties", {}).items():
        yield from _strings(document, child, f"{path}.{name}", seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for child in schema.get(key, []):
            # An optional parameter's pattern sits beside its anyOf.
            if "pattern" in schema:
                child = {"pattern": schema["pattern"], **child}
            yield from _strings(document, child, path, seen)
    items = schema.get("items")
    if isinstance(items, dict):
        yield from _strings(document, items, f"{path}[]", seen)
    values = schema.get("additionalProperties")
    if isinstance(values, dict):
        yield from _strings(document, values, f"{path}{{}}", seen)


def _request_strings(
    document: dict[str, Any],
) -> Iterator[tuple[str, dict[str, Any]]]:
    for route, operations in document["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {route}"
            content = operation.get("requestBody", {}).get("content", {})
            for media_type in content.values():
                schema = media_type.get("schema", {})
                yield from _strings(document, schema, f"{where} body", frozenset())
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query":
                    continue
                field = f"{where} {parameter['in']} {parameter['name']}"
                yield from _strings(
                    document, parameter.get("schema", {}), field, frozenset()
                )


def _free_text(schema: dict[str, Any]) -> bool:
    return not ({"enum", "const", "format"} & schema.keys())


def _unchecked_fields(document: dict[str, Any]) -> list[str]:
    unchecked = []
    for field, schema in _request_strings(document):
        if not _free_text(schema):
            continue
        pattern = schema.get("pattern")
        if pattern is None or any(re.search(pattern, p) for p in NUL_PROBES):
            unchecked.append(field)
    return sorted(set(unchecked))


@pytest.mark.parametrize("service", SERVICES)
def test_request_strings_reject_nul(service: str, tmp_path: Path) -> None:
    document = SERVICES[service](tmp_path).openapi()

    skipped = tuple(where for name, where in NOT_STORED if name == service)
    unchecked = [f for f in _unchecked_fields(document) if not f.startswith(skipped)]

    assert unchecked == []
