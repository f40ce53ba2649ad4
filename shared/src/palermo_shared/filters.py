"""Query parameters that filter a list, with the same checks in every service.

An unknown value gets 422 naming the parameter, rather than an empty list
that reads as "nothing matches".
"""

from typing import Annotated

from fastapi import Query
from pydantic import AfterValidator, WithJsonSchema

from palermo_shared.reference.states import load_states


def registered_state(code: str) -> str:
    """Return `code`, or raise `ValueError` unless it is a State in the registry.

    Codes are compared as written, so "ita" is rejected: every route
    returns and stores State codes in upper case.
    """
    if code not in load_states():
        raise ValueError(
            f"unknown State {code!r}; expected the ISO 3166-1 alpha-3 code of "
            "a State in the registry, in upper case, such as ITA"
        )
    return code


# The schema names the code's shape; the validator checks it against the
# registry and reports the expected form.
RegisteredState = Annotated[
    str,
    AfterValidator(registered_state),
    WithJsonSchema({"type": "string", "pattern": "^[A-Z]{3}$"}),
]

# The optional `state` filter of a list route.
StateFilter = Annotated[
    RegisteredState | None,
    Query(
        description="ISO 3166-1 alpha-3 code, in upper case, of a State in the "
        "registry; an unknown code gets 422",
    ),
]
