import uuid

from palermo_shared.ids import new_id


def test_new_id_is_canonical_version_7() -> None:
    text = new_id()

    parsed = uuid.UUID(text)

    assert str(parsed) == text
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122


def test_new_ids_sort_in_creation_order() -> None:
    ids = [new_id() for _ in range(10_000)]

    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
