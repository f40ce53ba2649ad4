"""The base of every JSON request body the services and the gateway take,
and the checks their fields share."""

from collections import Counter
from collections.abc import Hashable
from typing import TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T", bound=Hashable)


class RequestBody(BaseModel):
    """A request body whose fields are all defined by the API.

    A field the API does not define gets 422 naming it. If it were ignored,
    a misspelt optional field (`langauge` for `language`) would leave its
    default stored while the request succeeds.
    """

    model_config = ConfigDict(extra="forbid")


def distinct(values: list[T]) -> list[T]:
    """Return `values`, or raise `ValueError` naming each value listed twice.

    Use it as `AfterValidator(distinct)` on a list field whose items are a
    set, such as the participants of a meeting.
    """
    repeated = [value for value, count in Counter(values).items() if count > 1]
    if repeated:
        listed = ", ".join(_shown(value) for value in repeated)
        raise ValueError(f"{listed} listed more than once; list each value once")
    return values


def _shown(value: Hashable) -> str:
    # An enumeration's own repr names its class; the client sent its text.
    return repr(str(value)) if isinstance(value, str) else repr(value)
