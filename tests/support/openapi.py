"""The OpenAPI document of each service and a walk over its request schemas."""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
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


# A field's place in a request: property names, and 0 for a list's items.
FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class RequestField:
    """A field of one operation's request, in its body or its query string."""

    method: str
    route: str
    location: str
    path: FieldPath

    @property
    def name(self) -> str:
        """Return the path as the error bodies name a field, as in `items.0.date`."""
        return ".".join(str(part) for part in self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.route} {self.location} {self.name}".rstrip()


def subschemas(
    document: dict[str, Any],
    schema: dict[str, Any],
    path: FieldPath = (),
    seen: frozenset[str] = frozenset(),
) -> Iterator[tuple[FieldPath, dict[str, Any]]]:
    """Yield `schema` and every schema under it, references resolved, each
    with the path of its field.

    A reference is not followed again below itself, so recursive schemas end.
    """
    reference = schema.get("$ref")
    if reference in seen:
        return
    if reference is not None:
        seen = seen | {reference}
        name = reference.removeprefix("#/components/schemas/")
        schema = document["components"]["schemas"][name]

    yield path, schema
    for name, child in schema.get("properties", {}).items():
        yield from subschemas(document, child, (*path, name), seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for child in schema.get(key, []):
            # An optional parameter's pattern sits beside its anyOf.
            if "pattern" in schema:
                child = {"pattern": schema["pattern"], **child}
            yield from subschemas(document, child, path, seen)
    items = schema.get("items")
    if isinstance(items, dict):
        yield from subschemas(document, items, (*path, 0), seen)
    values = schema.get("additionalProperties")
    if isinstance(values, dict):
        yield from subschemas(document, values, (*path, "{key}"), seen)


def request_schemas(
    document: dict[str, Any], *, media_type: str | None = None
) -> Iterator[tuple[RequestField, dict[str, Any]]]:
    """Yield every schema of each operation's request body and query
    parameters, with the field it belongs to.

    With `media_type`, only bodies of that type are walked.
    """
    for route, operations in document["paths"].items():
        for method, operation in operations.items():
            method = method.upper()
            content = operation.get("requestBody", {}).get("content", {})
            for name, body in content.items():
                if media_type in (None, name):
                    for path, schema in subschemas(document, body.get("schema", {})):
                        yield RequestField(method, route, "body", path), schema
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    walked = subschemas(
                        document, parameter.get("schema", {}), (parameter["name"],)
                    )
                    for path, schema in walked:
                        yield RequestField(method, route, "query", path), schema


# Path parameters that routes check before the body, by their name. Every
# other path parameter is "p1".
PATH_VALUES = {
    "state": "ITA",
    "iso3": "ITA",
    "instrument": "convention",
    "cluster": "criminalization",
}


def send_to_field(
    base_url: str, field: RequestField, value: object, headers: dict[str, str]
) -> httpx.Response:
    """Send a request to `field`'s operation with `value` in that field alone.

    In a query string the value is sent as its text.
    """
    route = re.sub(
        r"\{([a-z_0-9]+)\}", lambda match: PATH_VALUES.get(match[1], "p1"), field.route
    )
    url = f"{base_url}{route}"
    if field.location == "query":
        return httpx.request(
            field.method, url, params={field.name: str(value)}, headers=headers
        )
    return httpx.request(
        field.method, url, json=_nested(field.path, value), headers=headers
    )


def _nested(path: FieldPath, value: object) -> object:
    """Return a JSON value holding `value` at `path`, and nothing else."""
    for part in reversed(path):
        value = [value] if isinstance(part, int) else {part: value}
    return value


def field_problems(response: httpx.Response, field: RequestField) -> list[str]:
    """Return the messages of a 422 response's problems with `field`."""
    if response.status_code != 422:
        return []
    problems = response.json().get("problems", [])
    return [p["message"] for p in problems if p["field"] == field.name]
