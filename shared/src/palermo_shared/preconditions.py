"""If-Match, which keeps two callers from overwriting each other's changes.

A caller reads a resource with its ETag and sends the ETag back in
If-Match with its change. The change is applied only if the resource is
still at that revision (RFC 9110, section 13.1.1).
"""

IF_MATCH = "If-Match"


def if_match_holds(if_match: str, etag: str) -> bool:
    """Return whether `if_match` names `etag`, or any revision with `*`."""
    tags = {tag.strip() for tag in if_match.split(",")}
    return "*" in tags or etag in tags
