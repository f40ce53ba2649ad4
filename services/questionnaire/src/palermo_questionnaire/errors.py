"""HTTP errors of this service beyond the shared ones; each names the field."""

from typing import Any

from palermo_shared.errors import DomainError


class _FieldError(DomainError):
    def __init__(self, message: str, *, field: str, **details: Any) -> None:
        super().__init__(message, field=field, **details)


class PreconditionFailed(_FieldError):
    """The If-Match header names a revision that is no longer current."""

    status_code = 412
    code = "precondition_failed"


class PreconditionRequired(_FieldError):
    """An update of an existing resource came without If-Match."""

    status_code = 428
    code = "precondition_required"


class PayloadTooLarge(_FieldError):
    status_code = 413
    code = "too_large"


class UnsupportedMediaType(_FieldError):
    status_code = 415
    code = "unsupported_media_type"
