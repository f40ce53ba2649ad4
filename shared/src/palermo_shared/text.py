"""Checks of the free text that requests carry."""

from pydantic import AfterValidator


def not_blank(text: str) -> str:
    """Return `text`, or raise `ValueError` when it has only white space.

    A length check alone lets "   " through as an observation or a reason.
    """
    if not text.strip():
        raise ValueError("must not be blank")
    return text


# Annotate a text field with `NOT_BLANK` to reject blank values with 422.
NOT_BLANK = AfterValidator(not_blank)
