"""Every string a request carries rejects control characters.

The check walks each service's OpenAPI document: a string that is not a
date, an enumeration or a constant must have a pattern, and that pattern
must reject a NUL. `palermo_shared.text` gives free text its pattern.
"""

import re
from pathlib import Path
from typing import Any

import pytest

from tests.support.openapi import SERVICES, request_schemas

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


def _free_text(schema: dict[str, Any]) -> bool:
    return not ({"enum", "const", "format"} & schema.keys())


def _unchecked_fields(document: dict[str, Any]) -> list[str]:
    unchecked = []
    for field, schema in request_schemas(document):
        if schema.get("type") != "string" or not _free_text(schema):
            continue
        pattern = schema.get("pattern")
        if pattern is None or any(re.search(pattern, p) for p in NUL_PROBES):
            unchecked.append(str(field))
    return sorted(set(unchecked))


@pytest.mark.parametrize("service", SERVICES)
def test_request_strings_reject_nul(service: str, tmp_path: Path) -> None:
    document = SERVICES[service](tmp_path).openapi()

    skipped = tuple(where for name, where in NOT_STORED if name == service)
    unchecked = [f for f in _unchecked_fields(document) if not f.startswith(skipped)]

    assert unchecked == []
