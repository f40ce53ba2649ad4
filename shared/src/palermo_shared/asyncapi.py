"""The AsyncAPI 3.0 document of every event, generated from the contracts.

Each topic is a channel, and each event type and version is a message. A
message's payload is the CloudEvents envelope with `data` constrained to the
payload's JSON Schema, so the document cannot drift from the code.
"""

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from palermo_shared.events import DOMAIN_TOPICS, EVENT_TYPES, Envelope

ASYNCAPI_VERSION = "3.0.0"


def _message_name(event_type: str, version: int) -> str:
    return f"{event_type.rsplit('.', 1)[-1]}.v{version}"


def _message(event_type: str, version: int, data_ref: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": _message_name(event_type, version),
        "contentType": "application/cloudevents+json",
        "headers": {
            "type": "object",
            "properties": {
                "traceparent": {
                    "type": "string",
                    "description": "W3C trace context of the request that caused it",
                },
            },
        },
        "bindings": {"kafka": {"key": {"type": "string"}}},
        "payload": {
            "allOf": [
                {"$ref": "#/components/schemas/Envelope"},
                {
                    "type": "object",
                    "properties": {
                        "type": {"const": event_type},
                        "schemaversion": {"const": version},
                        "data": data_ref,
                    },
                },
            ]
        },
    }


def _schemas() -> tuple[dict[type[BaseModel], dict[str, Any]], dict[str, Any]]:
    models: list[type[BaseModel]] = [Envelope, *EVENT_TYPES.values()]
    refs, definitions = models_json_schema(
        [(model, "validation") for model in models],
        ref_template="#/components/schemas/{model}",
    )
    by_model = {model: refs[(model, "validation")] for model in models}
    return by_model, definitions["$defs"]


def build_document(version: str) -> dict[str, Any]:
    """Return the AsyncAPI document of the registered event types."""
    refs, schemas = _schemas()
    messages: dict[str, dict[str, Any]] = {}
    channels: dict[str, dict[str, Any]] = {
        topic: {"address": topic, "messages": {}} for topic in DOMAIN_TOPICS
    }
    for (event_type, schema_version), payload in sorted(EVENT_TYPES.items()):
        name = _message_name(event_type, schema_version)
        messages[name] = _message(event_type, schema_version, refs[payload])
        channels[payload.topic]["messages"][name] = {
            "$ref": f"#/components/messages/{name}"
        }
    operations = {
        f"publish-{topic}": {
            "action": "send",
            "channel": {"$ref": f"#/channels/{topic}"},
            "messages": [
                {"$ref": f"#/channels/{topic}/messages/{name}"}
                for name in channels[topic]["messages"]
            ],
        }
        for topic in DOMAIN_TOPICS
    }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Palermo events",
            "version": version,
            "description": (
                "Domain events of the Palermo review mechanism. The Kafka key of "
                "each message is the envelope's subject."
            ),
        },
        "defaultContentType": "application/cloudevents+json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
