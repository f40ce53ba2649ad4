"""Contacts of the directory: roles and languages."""

from enum import StrEnum


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
