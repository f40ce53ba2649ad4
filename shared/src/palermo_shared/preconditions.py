"""If-Match, which keeps two callers from overwriting each other's changes.

A caller reads a resource with its ETag and sends the ETag back in
If-Match with its change. The change is applied only if the resource is
still at that revision (RFC 9110, section 13.1.1).
"""

import hashlib
import json
import re
from typing import Annotated

from fastapi import Depends, Header

IF_MATCH = "If-Match"

# One member of an If-Match list: an optional weak prefix and a quoted
# opaque tag, which may contain commas (RFC 9110, section 8.8.3).
_ENTITY_TAG = re.compile(r'\s*(W/)?("[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$)')


def if_match_holds(if_match: str, etag: str) -> bool:
    """Return whether `if_match` holds for a resource whose strong ETag is `etag`.

    `*` alone holds for any current resource. A list holds when one of its
    members is `etag`. A weak tag never holds, because If-Match compares
    tags strongly. A malformed header holds for nothing, so a change it
    carries is never applied by mistake.
    """
    if if_match.strip() == "*":
        return True
    return etag in _strong_tags(if_match)


def content_etag(*values: str | int | None) -> str:
    """Return a strong ETag of a resource that has no revision number, from the
    stored values that make up its representation."""
    digest = hashlib.sha256(json.dumps(values).encode()).hexdigest()
    return f'"{digest[:32]}"'


def _strong_tags(if_match: str) -> set[str]:
    """Return the strong entity-tags of `if_match`, or none if it is malformed."""
    tags = set()
    position = 0
    while position < len(if_match):
        match = _ENTITY_TAG.match(if_match, position)
        if match is None:
            return set()
        weak, tag = match.groups()
        if weak is None:
            tags.add(tag)
        position = match.end()
    return tags


def _joined_if_match(
    if_match: Annotated[
        list[str] | None,
        Header(
            alias=IF_MATCH,
            description="ETag of the resource as last read, or `*` to overwrite "
            "whatever is stored; a list, on one line or several, holds when one "
            "of its ETags is current",
        ),
    ] = None,
) -> str | None:
    # A header sent on several lines is the comma-separated list of its
    # values (RFC 9110, section 5.3).
    return ", ".join(if_match) if if_match else None


# The If-Match header of a request, its lines joined into one list.
IfMatch = Annotated[str | None, Depends(_joined_if_match)]
