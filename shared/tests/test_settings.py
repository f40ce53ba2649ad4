"""Service settings read from the environment."""

import pydantic
import pytest

from palermo_shared.settings import ServiceSettings


def test_database_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql+asyncpg://palermo@db.example.org/review"
    monkeypatch.setenv("DATABASE_URL", url)

    assert ServiceSettings().database_url == url


@pytest.mark.parametrize(
    "url", ["postgresql://palermo:secret@db/review", "sqlite:///var/review.db"]
)
def test_unsupported_database_url_rejected(url: str) -> None:
    with pytest.raises(pydantic.ValidationError) as raised:
        ServiceSettings(database_url=url)

    message = str(raised.value)
    assert "must start with sqlite+aiosqlite:// or postgresql+asyncpg://" in message
    assert url.split("://")[0] in message
    assert "secret" not in message
