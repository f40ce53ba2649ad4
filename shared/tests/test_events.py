import datetime as dt
import json
import uuid

import pytest

from palermo_shared.contracts import QuestionnairePublished, ReviewPhaseOpened
from palermo_shared.events import (
    EVENT_TYPES,
    TOPIC_QUESTIONNAIRE,
    EventDecodeError,
    EventPayload,
    UnknownEventType,
    decode,
    encode,
    event,
    new_event,
    payload_of,
    topic_of,
)
from palermo_shared.reference.instruments import Cluster, Instrument, WorkingGroup


def published_payload() -> QuestionnairePublished:
    return QuestionnairePublished(
        questionnaire_id="q-1",
        phase_id="phase-1",
        instrument=Instrument.CONVENTION,
        cluster=Cluster.CRIMINALIZATION,
        version=1,
        articles=[2, 5, 6],
    )


def envelope_json(**changes: object) -> bytes:
    document = json.loads(
        encode(new_event(published_payload(), source="t", subject="s"))
    )
    document.update(changes)
    return json.dumps(document).encode()


def test_envelope_round_trip() -> None:
    original = new_event(published_payload(), source="questionnaire", subject="q-1")

    decoded = decode(encode(original))

    assert decoded == original


def test_new_event_ids_sort_by_time() -> None:
    first = new_event(published_payload(), source="t", subject="s")
    second = new_event(published_payload(), source="t", subject="s")

    assert uuid.UUID(first.id).version == 7
    assert first.id < second.id
    assert first.correlationid == first.id


def test_payload_round_trip_with_enum_keys() -> None:
    payload = ReviewPhaseOpened(
        phase_id="phase-1",
        years="III-VI",
        clusters=[Cluster.CRIMINALIZATION],
        instruments=[Instrument.FIREARMS],
        working_groups={Instrument.FIREARMS: WorkingGroup.FIREARMS},
        draw_date=dt.date(2025, 6, 1),
        states_under_review={Instrument.FIREARMS: ["ALB", "DZA"]},
    )

    envelope = decode(encode(new_event(payload, source="draw", subject="phase-1")))

    assert payload_of(envelope) == payload


def test_envelope_carries_type_version_and_topic() -> None:
    envelope = new_event(published_payload(), source="questionnaire", subject="q-1")

    assert envelope.type == "palermo.questionnaire.questionnaire_published"
    assert envelope.schemaversion == 1
    assert topic_of(envelope) == TOPIC_QUESTIONNAIRE


def test_first_event_correlates_with_itself() -> None:
    envelope = new_event(published_payload(), source="t", subject="s")

    assert envelope.correlationid == envelope.id
    assert envelope.causationid is None


def test_first_event_takes_given_correlation_id() -> None:
    envelope = new_event(
        published_payload(), source="t", subject="s", correlation_id="request-7"
    )

    assert envelope.correlationid == "request-7"


def test_caused_event_follows_cause() -> None:
    root = new_event(published_payload(), source="t", subject="s")
    child = new_event(published_payload(), source="t", subject="s", cause=root)
    grandchild = new_event(
        published_payload(),
        source="t",
        subject="s",
        cause=child,
        correlation_id="ignored",
    )

    assert child.correlationid == root.id
    assert child.causationid == root.id
    assert grandchild.correlationid == root.id
    assert grandchild.causationid == child.id


def test_event_ids_are_unique() -> None:
    first = new_event(published_payload(), source="t", subject="s")
    second = new_event(published_payload(), source="t", subject="s")

    assert first.id != second.id


@pytest.mark.parametrize(
    "raw",
    [
        None,
        b"",
        b"\xff\xfe not utf-8",
        b"not json",
        b"[]",
        b"null",
        b'{"id": "only an id"}',
    ],
    ids=["none", "empty", "binary", "text", "list", "null", "partial"],
)
def test_decode_rejects_garbage(raw: bytes | None) -> None:
    with pytest.raises(EventDecodeError):
        decode(raw)


@pytest.mark.parametrize(
    "changes",
    [
        {"specversion": "0.3"},
        {"schemaversion": "one"},
        {"time": "yesterday"},
        {"data": ["not", "an", "object"]},
        {"unexpected": "field"},
        {"datacontenttype": "text/plain"},
    ],
    ids=["specversion", "schemaversion", "time", "data", "extra-field", "content"],
)
def test_decode_rejects_wrong_shape(changes: dict[str, object]) -> None:
    with pytest.raises(EventDecodeError):
        decode(envelope_json(**changes))


def test_payload_of_rejects_invalid_data() -> None:
    envelope = decode(envelope_json(data={"questionnaire_id": "q-1"}))

    with pytest.raises(EventDecodeError):
        payload_of(envelope)


def test_unknown_type_raises() -> None:
    envelope = decode(envelope_json(type="palermo.nowhere.nothing_happened"))

    with pytest.raises(UnknownEventType):
        payload_of(envelope)


def test_unknown_version_raises() -> None:
    envelope = decode(envelope_json(schemaversion=99))

    with pytest.raises(UnknownEventType):
        topic_of(envelope)


def test_register_type_twice_fails() -> None:
    class Duplicate(EventPayload):
        questionnaire_id: str

    key = ("palermo.questionnaire.questionnaire_published", 1)
    register = event(key[0], version=key[1], topic=TOPIC_QUESTIONNAIRE)

    with pytest.raises(ValueError, match="registered twice"):
        register(Duplicate)
    assert EVENT_TYPES[key] is QuestionnairePublished


def test_envelope_is_frozen() -> None:
    envelope = new_event(published_payload(), source="t", subject="s")

    with pytest.raises(ValueError, match="frozen"):
        envelope.subject = "other"  # type: ignore[misc]


def test_registered_types_match_topics() -> None:
    for (event_type, version), cls in EVENT_TYPES.items():
        assert cls.event_type == event_type
        assert cls.schema_version == version
        assert event_type.startswith(f"{cls.topic}.")
