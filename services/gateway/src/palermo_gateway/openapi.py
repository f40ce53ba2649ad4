"""One OpenAPI document for the whole API behind the gateway.

The document joins the gateway's own routes and each service's OpenAPI
paths under its `/api/v1/{service}` prefix. Each service's document is
fetched from its `/openapi.json` on the first request and cached for the
life of the process. A service that cannot be reached fails the request
with 502 or 504, and the next request fetches its document again.

Service components are renamed `{service}.{name}` (component names never
contain a dot, so no two can clash), and so are operation ids. Every
operation requires the bearer token except the public paths of the gateway
(`policy.PUBLIC_PATHS`).
"""

import asyncio
import copy
from importlib.metadata import version
from typing import Any

from fastapi import FastAPI

from palermo_gateway.policy import API_PREFIX, is_public
from palermo_gateway.proxy import Proxy
from palermo_shared.allow import HTTP_METHODS, document_methods

BEARER_SCHEME = "bearer"
SECURITY_SCHEMES = {
    BEARER_SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A token naming the caller (`sub`), its `role` and, for "
        "focal points and experts, its `state`.",
    }
}


class ApiDocument:
    """The merged OpenAPI document, cached once every service returned its own."""

    def __init__(self, proxy: Proxy, services: list[str]) -> None:
        self._proxy = proxy
        self._services = services
        self._document: dict[str, Any] | None = None
        self._service_documents: dict[str, Any] = {}
        self._lock = asyncio.Lock()

    async def get(self, app: FastAPI) -> dict[str, Any]:
        async with self._lock:
            if self._document is None:
                self._document = await self._build(app)
            return self._document

    async def _build(self, app: FastAPI) -> dict[str, Any]:
        document = copy.deepcopy(app.openapi())
        document["info"] = {
            "title": "Palermo API",
            "version": version("palermo-gateway"),
        }
        for service in self._services:
            merge_service(document, service, await self._service_document(service))
        secure(document)
        return document

    async def service_methods(self, service: str, path: str) -> set[str]:
        """Return the methods that `service`'s document lists for `path`, a path
        of the service itself, or raise 502/504 if the document cannot be had."""
        return document_methods(await self._service_document(service), path)

    async def _service_document(self, service: str) -> Any:
        # Two requests may fetch the same document at once; both get it.
        document = self._service_documents.get(service)
        if document is None:
            document = await self._proxy.get_json(service, "/openapi.json")
            self._service_documents[service] = document
        return document


def merge_service(document: dict[str, Any], service: str, fetched: Any) -> None:
    """Add the paths and components of `service`'s document to `document`."""
    renamed = _rename_references(fetched, service)
    components = document.setdefault("components", {})
    for section, entries in renamed.get("components", {}).items():
        if section == "securitySchemes":
            continue
        target = components.setdefault(section, {})
        for name, entry in entries.items():
            target[f"{service}.{name}"] = entry
    for path, item in renamed.get("paths", {}).items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                _prefix_operation(operation, service)
        document.setdefault("paths", {})[f"{API_PREFIX}/{service}{path}"] = item


def secure(document: dict[str, Any]) -> None:
    """Require the bearer token on every operation whose path is not public."""
    document.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    document["security"] = [{BEARER_SCHEME: []}]
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            operation["security"] = [] if is_public(path) else [{BEARER_SCHEME: []}]


def _prefix_operation(operation: dict[str, Any], service: str) -> None:
    if "operationId" in operation:
        operation["operationId"] = f"{service}.{operation['operationId']}"
    operation["tags"] = [service, *operation.get("tags", [])]
    operation.pop("security", None)


def _rename_references(value: Any, service: str) -> Any:
    """Return a copy of `value` whose component references name `service`'s."""
    if isinstance(value, dict):
        renamed = {
            key: _rename_references(item, service) for key, item in value.items()
        }
        reference = renamed.get("$ref")
        if isinstance(reference, str) and reference.startswith("#/components/"):
            section, _, name = reference.removeprefix("#/components/").partition("/")
            renamed["$ref"] = f"#/components/{section}/{service}.{name}"
        return renamed
    if isinstance(value, list):
        return [_rename_references(item, service) for item in value]
    return value
