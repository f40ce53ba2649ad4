"""The base of every JSON request body the services and the gateway take."""

from pydantic import BaseModel, ConfigDict


class RequestBody(BaseModel):
    """A request body whose fields are all defined by the API.

    A field the API does not define gets 422 naming it. Ignored, a misspelt
    optional field (`langauge` for `language`) would leave its default
    stored, and the caller would read the 2xx as its value being taken.
    """

    model_config = ConfigDict(extra="forbid")
