"""The AsyncAPI document is generated from the contracts and kept in docs/."""

import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

from palermo_shared.asyncapi import build_document
from palermo_shared.events import EVENT_TYPES

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.json"


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def _resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_event_types_are_topic_messages() -> None:
    document = build_document("test")

    for (event_type, schema_version), payload in EVENT_TYPES.items():
        name = f"{event_type.rsplit('.', 1)[-1]}.v{schema_version}"
        assert name in document["channels"][payload.topic]["messages"]
        assert name in document["components"]["messages"]


def test_every_reference_resolves() -> None:
    document = build_document("test")

    for ref in _refs(document):
        assert _resolve(document, ref) is not None, ref


def test_committed_document_is_current() -> None:
    generated = build_document(version("palermo-shared"))

    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))

    assert committed == generated, "run: palermo asyncapi --output docs/asyncapi.json"
