"""Settings read from an environment with one invalid variable."""

import pytest

from palermo_shared.settings import InvalidSettings, ServiceSettings


def invalid_report(
    settings_class: type[ServiceSettings],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
) -> str:
    """Return the report of settings read with `variable` set to `value`.

    Fails the test when the settings are valid.
    """
    monkeypatch.setenv(variable, value)
    with pytest.raises(InvalidSettings) as raised:
        settings_class()
    return str(raised.value)
