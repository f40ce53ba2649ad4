"""Every JSON request body rejects fields the API does not define.

The check walks each service's OpenAPI document: each object with named
properties in a JSON request body must forbid other properties, which
`palermo_shared.request_body.RequestBody` does.
"""

from pathlib import Path
from typing import Any

import pytest

from tests.support.openapi import SERVICES, request_schemas

# A published draw record may come from a later release with more fields.
# Its verification reads the fields it defines and stores nothing.
OPEN_BODIES = {("draw", "POST /verifications")}


def _open_objects(document: dict[str, Any], service: str) -> list[str]:
    skipped = tuple(where for name, where in OPEN_BODIES if name == service)
    found = []
    for field, schema in request_schemas(document, media_type="application/json"):
        if str(field).startswith(skipped) or "properties" not in schema:
            continue
        if schema.get("additionalProperties") is not False:
            found.append(str(field))
    return sorted(set(found))


@pytest.mark.parametrize("service", SERVICES)
def test_request_bodies_reject_unknown_fields(service: str, tmp_path: Path) -> None:
    document = SERVICES[service](tmp_path).openapi()

    assert _open_objects(document, service) == []
