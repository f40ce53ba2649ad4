"""HTTP schemas of the account registry."""

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from palermo_shared.auth import Role
from palermo_shared.email_address import EmailAddress
from palermo_shared.filters import RegisteredState
from palermo_shared.request_body import RequestBody
from palermo_shared.text import SingleLineText

Language = Literal["ar", "en", "es", "fr", "ru", "zh"]


class AccountRegistration(RequestBody):
    name: SingleLineText = Field(min_length=1, max_length=200)
    email: EmailAddress
    role: Role
    state: RegisteredState | None = Field(
        default=None,
        description="ISO 3166-1 alpha-3 code, in upper case; for focal points and "
        "experts only",
    )
    language: Language = Field(default="en", description="language of the e-mails")


class AccountOut(BaseModel):
    id: str
    name: str
    email: str
    role: Role
    state: str | None
    language: str
    status: Literal["invited", "active", "ended"]
    created_at: dt.datetime
    created_by: str
    activated_at: dt.datetime | None
    ended_at: dt.datetime | None
    ended_by: str | None
    end_reason: Literal["replaced", "ended"] | None


class InvitationOut(BaseModel):
    """An invitation as returned to the Secretariat, without its code."""

    id: str
    expires_at: dt.datetime


class RegistrationOut(BaseModel):
    account: AccountOut
    invitation: InvitationOut


class ActivationRequest(RequestBody):
    code: SingleLineText = Field(min_length=1, max_length=200)


class ActivationOut(BaseModel):
    account: AccountOut
    # Only in local mode: a token signed with the gateway's local key.
    access_token: str | None = None
    token_type: Literal["bearer"] | None = None
    expires_in: int | None = Field(default=None, description="seconds")
