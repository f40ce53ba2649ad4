"""Event contracts: one CloudEvents 1.0 envelope and a typed payload per event.

Every event travels as a structured-mode CloudEvent (JSON) whose `type` is a
stable string, never a class name, and whose `schemaversion` extension is an
integer. Within one version a payload only gains optional fields; a breaking
change gets a new version and both are kept in `EVENT_TYPES` while consumers
move over. The payload schemas live in `palermo_shared.contracts`, one module
per publishing service.

Errors raised here:

    EventDecodeError        the bytes are not a valid envelope
    UnknownEventType        no payload schema for (type, schemaversion)
"""

import datetime as dt
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from palermo_shared.ids import new_id

TOPIC_DRAW = "palermo.draw"
TOPIC_QUESTIONNAIRE = "palermo.questionnaire"
TOPIC_REVIEW = "palermo.review"
TOPIC_NOTIFY = "palermo.notify"
TOPIC_GATEWAY = "palermo.gateway"
TOPIC_DEAD_LETTER = "palermo.deadletter"
DOMAIN_TOPICS = (
    TOPIC_DRAW,
    TOPIC_QUESTIONNAIRE,
    TOPIC_REVIEW,
    TOPIC_NOTIFY,
    TOPIC_GATEWAY,
)
ALL_TOPICS = (*DOMAIN_TOPICS, TOPIC_DEAD_LETTER)


class EventDecodeError(ValueError):
    """Raised when bytes read from the bus are not a valid event envelope."""


class UnknownEventType(LookupError):
    """Raised when no payload schema is registered for an event's type."""


class Envelope(BaseModel):
    """CloudEvents 1.0 attributes plus correlation, causation and schema version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    specversion: Literal["1.0"] = "1.0"
    id: str
    source: str
    type: str
    schemaversion: int
    subject: str
    time: dt.datetime
    datacontenttype: Literal["application/json"] = "application/json"
    correlationid: str
    causationid: str | None = None
    data: dict[str, Any]


class EventPayload(BaseModel):
    """Base of every event payload: frozen, with its type, version and topic."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    schema_version: ClassVar[int]
    topic: ClassVar[str]


EVENT_TYPES: dict[tuple[str, int], type[EventPayload]] = {}


def event(event_type: str, *, version: int, topic: str) -> Any:
    """Register a payload class under a stable type string and version."""

    def register(cls: type[EventPayload]) -> type[EventPayload]:
        key = (event_type, version)
        if key in EVENT_TYPES:
            raise ValueError(f"event type {event_type} v{version} registered twice")
        cls.event_type = event_type
        cls.schema_version = version
        cls.topic = topic
        EVENT_TYPES[key] = cls
        return cls

    return register


def new_event(
    payload: EventPayload,
    *,
    source: str,
    subject: str,
    cause: Envelope | None = None,
    correlation_id: str | None = None,
    causation_id: str | None = None,
) -> Envelope:
    """Wrap a payload in a fresh envelope.

    The correlation and causation ids follow the cause's envelope when one
    is given, so every event of one flow shares a correlation id. Without
    it they are the given ids, and the correlation id defaults to the new
    event's own id.
    """
    event_id = new_id()
    if cause is not None:
        correlation_id, causation_id = cause.correlationid, cause.id
    payload_type = type(payload)
    return Envelope(
        id=event_id,
        source=source,
        type=payload_type.event_type,
        schemaversion=payload_type.schema_version,
        subject=subject,
        time=dt.datetime.now(dt.UTC),
        correlationid=correlation_id or event_id,
        causationid=causation_id,
        data=payload.model_dump(mode="json"),
    )


def encode(envelope: Envelope) -> bytes:
    return envelope.model_dump_json().encode()


def decode(raw: bytes | None) -> Envelope:
    if raw is None:
        raise EventDecodeError("message has no value")
    try:
        return Envelope.model_validate_json(raw)
    except ValidationError as error:
        raise EventDecodeError(f"invalid event envelope: {error}") from error


def topic_of(envelope: Envelope) -> str:
    return payload_class(envelope).topic


def payload_class(envelope: Envelope) -> type[EventPayload]:
    try:
        return EVENT_TYPES[(envelope.type, envelope.schemaversion)]
    except KeyError:
        raise UnknownEventType(
            f"no schema for event type {envelope.type} v{envelope.schemaversion}"
        ) from None


def payload_of(envelope: Envelope) -> EventPayload:
    """Parse the envelope's data with the schema registered for its type."""
    cls = payload_class(envelope)
    try:
        return cls.model_validate(envelope.data)
    except ValidationError as error:
        raise EventDecodeError(
            f"invalid data for {envelope.type} v{envelope.schemaversion}: {error}"
        ) from error


# Registers every payload schema; placed last because the schemas import
# the names defined above.
import palermo_shared.contracts  # noqa: E402, F401
