"""The methods each path of the gateway serves, for the Allow header of a 405.

The route that forwards `/api/v1/{service}/...` takes every routed method
on every path and stays out of the gateway's OpenAPI document. The methods
of a service's path come from that service's own document, and those of
the gateway's routes from the gateway's.
"""

from fastapi import Request

from palermo_gateway.openapi import ApiDocument
from palermo_gateway.policy import API_PREFIX
from palermo_shared.allow import document_methods


async def served_methods(request: Request) -> set[str]:
    """Return the methods that the gateway or a service serves on the request's
    path, or raise 502/504 when that service's document cannot be fetched."""
    path = request.url.path
    methods = document_methods(request.app.openapi(), path)

    if path.startswith(f"{API_PREFIX}/"):
        service, _, service_path = path.removeprefix(f"{API_PREFIX}/").partition("/")
        if service_path and service in request.app.state.settings.service_urls():
            document: ApiDocument = request.app.state.api_document
            methods |= await document.service_methods(service, f"/{service_path}")
    return methods
