"""Service settings read from the environment."""

import pydantic
import pytest

from palermo_shared.settings import ServiceSettings


def test_database_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql+asyncpg://palermo@db.example.org/review"
    monkeypatch.setenv("DATABASE_URL", url)

    assert ServiceSettings().database_url == url


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("postgresql://palermo:secret@db/review", "scheme 'postgresql'"),
        ("sqlite:///var/review.db", "scheme 'sqlite'"),
        ("palermo:secret@db/review", "scheme missing"),
    ],
)
def test_unsupported_database_url_rejected(url: str, scheme: str) -> None:
    with pytest.raises(pydantic.ValidationError) as raised:
        ServiceSettings(database_url=url)

    message = str(raised.value)
    assert f"invalid DATABASE_URL: {scheme}" in message
    assert "starting with sqlite+aiosqlite:// or postgresql+asyncpg://" in message
    assert "secret" not in message
