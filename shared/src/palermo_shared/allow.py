"""The methods a path serves, for the Allow header of a 405 response.

Starlette's router, and FastAPI's, respond with 405 and the methods of the
first route whose path matches. A path served by a GET route and a POST
route declared apart then got an Allow header that named one of them only.
The methods are read from the OpenAPI document instead, which lists every
operation of a path together.
"""

import re
from collections.abc import Iterable
from typing import Any

# The operations of an OpenAPI path item; its other keys are not methods.
HTTP_METHODS = frozenset(
    {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
)


def document_methods(document: dict[str, Any], path: str) -> set[str]:
    """Return the methods, in upper case, that `document` lists for `path`.

    HEAD is among them wherever GET is, because `HeadMiddleware` serves it.
    """
    methods: set[str] = set()
    for template, item in document.get("paths", {}).items():
        if _template_pattern(template).fullmatch(path):
            methods.update(method.upper() for method in item if method in HTTP_METHODS)
    return with_head(methods)


def with_head(methods: Iterable[str]) -> set[str]:
    """Return `methods` with HEAD added when GET is among them."""
    served = set(methods)
    if "GET" in served:
        served.add("HEAD")
    return served


def method_not_allowed_message(method: str, path: str, allowed: list[str]) -> str:
    """Return the detail of a 405 for `method` on `path`, naming `allowed`."""
    return (
        f"method {method} is not allowed on {path}, which serves {', '.join(allowed)}"
    )


def _template_pattern(template: str) -> re.Pattern[str]:
    # A path parameter, such as {phase_id}, is one path segment.
    parts = re.split(r"\{[^}/]+\}", template)
    return re.compile("[^/]+".join(re.escape(part) for part in parts))
