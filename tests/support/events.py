"""Envelopes as the bus carries them, for tests that put events on a bus."""

from palermo_shared.bus import Record
from palermo_shared.events import Envelope, encode, topic_of


def record_of(envelope: Envelope) -> Record:
    """Return the record that carries `envelope` on its topic, keyed by subject."""
    return Record(
        topic=topic_of(envelope), key=envelope.subject, value=encode(envelope)
    )
