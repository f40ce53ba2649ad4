"""Checks of State codes in query parameters and paths, the same in every service.

An unknown value in a list filter gets 422 naming the parameter, rather
than an empty list that reads as "nothing matches". A malformed State code
in a path gets 422 too, so "ita" never names the resource of "ITA".
"""

import re
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator, WithJsonSchema

from palermo_shared.reference.states import load_states

_STATE_CODE = re.compile("[A-Z]{3}")
_STATE_CODE_SCHEMA = WithJsonSchema({"type": "string", "pattern": "^[A-Z]{3}$"})


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


def well_formed_state(code: str) -> str:
    """Return `code`, or raise `ValueError` unless it is three upper-case letters.

    For routes that look the State up in their own data, such as the draw
    service's registry, which can add States that the shipped list lacks.
    """
    if _STATE_CODE.fullmatch(code) is None:
        raise ValueError(
            f"invalid State code {code!r}; expected an ISO 3166-1 alpha-3 code "
            "in upper case, such as ITA"
        )
    return code


# The schema names the code's shape; the validator checks it against the
# registry and reports the expected form.
RegisteredState = Annotated[str, AfterValidator(registered_state), _STATE_CODE_SCHEMA]

# The optional `state` filter of a list route.
StateFilter = Annotated[
    RegisteredState | None,
    Query(
        description="ISO 3166-1 alpha-3 code, in upper case, of a State in the "
        "registry; an unknown code gets 422",
    ),
]

# A path segment naming a State in the registry.
StatePath = Annotated[
    RegisteredState,
    Path(
        description="ISO 3166-1 alpha-3 code, in upper case, of a State in the "
        "registry; any other value gets 422",
    ),
]

# A path segment naming a State that the route looks up in its own data.
StateCodePath = Annotated[
    str,
    AfterValidator(well_formed_state),
    _STATE_CODE_SCHEMA,
    Path(
        description="ISO 3166-1 alpha-3 code, in upper case; a malformed code gets 422",
    ),
]
