"""Contacts of the directory: roles, languages and e-mail address checks."""

import re
from enum import StrEnum

MAX_ADDRESS_LENGTH = 254

# A pragmatic subset of RFC 5321 addresses: one @, no spaces, a dotted domain.
_DOMAIN_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"^[^@\s]+@{_DOMAIN_LABEL}(?:\.{_DOMAIN_LABEL})+$")


class ContactRole(StrEnum):
    FOCAL_POINT = "focal_point"
    EXPERT = "expert"


class Language(StrEnum):
    """The six official languages of the United Nations, as ISO 639-1 codes."""

    ARABIC = "ar"
    CHINESE = "zh"
    ENGLISH = "en"
    FRENCH = "fr"
    RUSSIAN = "ru"
    SPANISH = "es"


def email_problem(address: str) -> str | None:
    """Return why `address` is not a usable e-mail address, or None when it is."""
    if len(address) > MAX_ADDRESS_LENGTH:
        return f"e-mail address is longer than {MAX_ADDRESS_LENGTH} characters"
    if _ADDRESS.match(address) is None:
        return (
            f"invalid e-mail address {address!r}; expected name@domain.example "
            "without spaces"
        )
    return None
