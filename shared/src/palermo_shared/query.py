"""Rejection of query parameters that a route does not declare.

Without it, a misspelt filter (`?stat=ITA` for `?state=ITA`) or a paging
parameter that a list does not offer is ignored, and the client reads the
whole list as the filtered or paged one. Such a request gets 422 instead,
naming each unknown parameter and the parameters the route accepts.
"""

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from palermo_shared.errors import invalid_input

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])

_ACCEPTS_ANY_QUERY = "_palermo_accepts_any_query"


def accepts_any_query(endpoint: Endpoint) -> Endpoint:
    """Mark a route whose query parameters are not checked.

    Mark a route that passes its query to a service, which checks it, and
    the routes of pages and their files, because links to them may carry
    parameters that mail clients and link shorteners add.
    """
    setattr(endpoint, _ACCEPTS_ANY_QUERY, True)
    return endpoint


async def reject_unknown_query_parameters(request: Request) -> None:
    """Raise `InvalidInput` for query parameters that the request's route lacks.

    Install it as a dependency of the whole application.
    """
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    if getattr(route.endpoint, _ACCEPTS_ANY_QUERY, False):
        return

    accepted = set(_query_parameters(route.dependant))
    sent = dict.fromkeys(request.query_params)
    unknown = [name for name in sent if name not in accepted]
    if not unknown:
        return

    listed = ", ".join(sorted(accepted)) if accepted else "none"
    problems = [
        {"field": name, "message": f"unknown query parameter; accepted: {listed}"}
        for name in unknown
    ]
    raise invalid_input("unknown query parameter", problems)


def _query_parameters(dependant: Dependant) -> Iterator[str]:
    """Yield the names of the query parameters of a route and its dependencies."""
    for parameter in dependant.query_params:
        yield parameter.alias
    for dependency in dependant.dependencies:
        yield from _query_parameters(dependency)
