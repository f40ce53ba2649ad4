"""Every JSON request body rejects fields the API does not define.

The check walks each service's OpenAPI document: each object with named
properties in a JSON request body must forbid other properties, which
`palermo_shared.request_body.RequestBody` does.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.test_request_text import SERVICES

# A published draw record may come from a later release with more fields.
# Its verification reads the fields it defines and stores nothing.
OPEN_BODIES = {("draw", "POST /verifications")}


def _objects(
    document: dict[str, Any], schema: dict[str, Any], path: str, seen: frozenset[str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield each object schema with named properties under `schema`."""
    reference = schema.get("$ref")
    if reference in seen:
        return
    if reference is not None:
        seen = seen | {reference}
        name = reference.removeprefix("#/components/schemas/")
        schema = document["components"]["schemas"][name]

    if "properties" in schema:
        yield path, schema
    for name, child in schema.get("properties", {}).items():
        yield from _objects(document, child, f"{path}.{name}", seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for child in schema.get(key, []):
            yield from _objects(document, child, path, seen)
    items = schema.get("items")
    if isinstance(items, dict):
        yield from _objects(document, items, f"{path}[]", seen)


def _open_objects(document: dict[str, Any], service: str) -> list[str]:
    found = []
    for route, operations in document["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {route}"
            if (service, where) in OPEN_BODIES:
                continue
            content = operation.get("requestBody", {}).get("content", {})
            schema = content.get("application/json", {}).get("schema", {})
            for path, body in _objects(document, schema, where, frozenset()):
                if body.get("additionalProperties") is not False:
                    found.append(path)
    return sorted(set(found))


@pytest.mark.parametrize("service", SERVICES)
def test_request_bodies_reject_unknown_fields(service: str, tmp_path: Path) -> None:
    document = SERVICES[service](tmp_path).openapi()

    assert _open_objects(document, service) == []
