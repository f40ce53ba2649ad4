"""HTTP request and response bodies of the notify service."""

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, StrictBool, field_validator
from pydantic.json_schema import SkipJsonSchema

from palermo_notify.domain.contacts import ContactRole, Language
from palermo_notify.domain.notifications import Channel, NotificationStatus
from palermo_notify.domain.rules import Audience
from palermo_shared.email_address import EmailAddress
from palermo_shared.filters import RegisteredState
from palermo_shared.request_body import RequestBody
from palermo_shared.text import SINGLE_LINE, SingleLineText

MAX_PAGE_SIZE = 1000


def _as_utc(value: dt.datetime) -> dt.datetime:
    # SQLite returns the stored UTC times without their offset.
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


UtcDatetime = Annotated[dt.datetime, AfterValidator(_as_utc)]


class SubscriptionCreate(RequestBody):
    state: RegisteredState = Field(
        description="ISO 3166-1 alpha-3 code, in upper case, of the State"
    )
    url: SingleLineText = Field(
        min_length=1,
        max_length=2000,
        description="http(s) URL on an allowed host that receives the webhooks",
    )


class SubscriptionPublic(BaseModel):
    id: str
    state: str
    url: str
    created_at: UtcDatetime


class SubscriptionCreated(SubscriptionPublic):
    secret: str = Field(
        description="Key of the HMAC-SHA256 signatures; shown only in this response"
    )


class NotificationPublic(BaseModel):
    id: str
    event_id: str
    event_type: str
    subject: str = Field(description="CloudEvents subject of the notified event")
    recipient_state: str | None = Field(
        description="State notified; null on e-mails to the Secretariat"
    )
    channel: Channel
    subscription_id: str | None = Field(
        description="Webhook subscription delivered to; null on the inbox channel"
    )
    contact_id: str | None = Field(
        description="Contact e-mailed; null on other channels and the Secretariat"
    )
    language: str | None = Field(description="Language of the e-mail")
    status: NotificationStatus
    attempts: int
    last_error: str | None
    next_attempt_at: UtcDatetime | None
    created_at: UtcDatetime
    delivered_at: UtcDatetime | None


class NotificationPage(BaseModel):
    total: int = Field(description="Number of notifications matching the filters")
    items: list[NotificationPublic]


ContactName = Annotated[str, Field(min_length=1, max_length=200), SINGLE_LINE]
CONTACT_STATE_DESCRIPTION = "ISO 3166-1 alpha-3 code, in upper case"
ContactState = Annotated[RegisteredState, Field(description=CONTACT_STATE_DESCRIPTION)]
ContactEmail = EmailAddress
ContactChannels = Annotated[
    list[Channel],
    Field(
        max_length=3,
        description="Channels the contact uses; only `email` sends to the "
        "contact, because inbox and webhooks belong to the State",
    ),
]

ContactActive = Annotated[
    StrictBool,
    Field(
        description="false deactivates the contact, as POST "
        "/contacts/{id}/deactivate does, and true reactivates it"
    ),
]


class ContactCreate(RequestBody):
    name: ContactName
    role: ContactRole
    state: ContactState
    email: ContactEmail
    language: Language = Language.ENGLISH
    channels: ContactChannels = Field(default_factory=lambda: [Channel.EMAIL])


class ContactUpdate(RequestBody):
    """The fields to change; a field left out keeps its value."""

    # Optional, but not nullable in the API document either. A null gets
    # 422, because ignoring it would leave the caller believing it changed
    # something.
    name: ContactName | SkipJsonSchema[None] = None
    role: ContactRole | SkipJsonSchema[None] = None
    # Pydantic leaves out the description of ContactState inside this union.
    state: ContactState | SkipJsonSchema[None] = Field(
        default=None, description=CONTACT_STATE_DESCRIPTION
    )
    email: ContactEmail | SkipJsonSchema[None] = None
    language: Language | SkipJsonSchema[None] = None
    channels: ContactChannels | SkipJsonSchema[None] = None
    active: ContactActive | SkipJsonSchema[None] = None

    @field_validator("*")
    @classmethod
    def not_null(cls, value: Any) -> Any:
        # Called only for the fields the request gives.
        if value is None:
            raise ValueError("must not be null; leave the field out to keep its value")
        return value


class ContactPublic(BaseModel):
    id: str
    name: str
    role: ContactRole
    state: str
    email: str
    language: Language
    channels: list[Channel]
    active: bool
    created_at: UtcDatetime
    updated_at: UtcDatetime


class AudiencePublic(BaseModel):
    audience: Audience
    email_roles: list[ContactRole] = Field(
        description="Contact roles e-mailed; empty for the Secretariat, whose "
        "addresses are set in the service's settings"
    )


class RulePublic(BaseModel):
    event_type: str
    description: str
    audiences: list[AudiencePublic]
    channels: list[Channel]
