"""Domain errors and their one translation to HTTP.

Domain code raises these; `install_error_handlers` maps each to its status
code with a short, stable body:

    DomainError
    +-- Unauthorized           401  no bearer token, or one that fails checks
    +-- NotFound               404  an id or code that does not exist
    +-- InvalidInput           422  a value that breaks a rule (names the field)
    +-- Forbidden              403  the caller may not act on this resource
    +-- Conflict               409  the resource's state does not allow the step
    +-- PreconditionFailed     412  If-Match names a revision no longer current
    +-- PreconditionRequired   428  an update came without If-Match
    +-- PayloadTooLarge        413  an upload exceeds its size limit
    +-- UnsupportedMediaType   415  an upload's type is not allowed

The last four also name the field (the header or the upload) at fault.
"""

import json
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


class DomainError(Exception):
    status_code = 400
    code = "error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def body(self) -> dict[str, Any]:
        return {"detail": self.message, "code": self.code, **self.details}


class Unauthorized(DomainError):
    status_code = 401
    code = "unauthorized"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class InvalidInput(DomainError):
    status_code = 422
    code = "invalid"

    def __init__(self, message: str, *, field: str, **details: Any) -> None:
        super().__init__(message, field=field, **details)


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class _FieldError(DomainError):
    def __init__(self, message: str, *, field: str, **details: Any) -> None:
        super().__init__(message, field=field, **details)


class PreconditionFailed(_FieldError):
    status_code = 412
    code = "precondition_failed"


class PreconditionRequired(_FieldError):
    status_code = 428
    code = "precondition_required"


class PayloadTooLarge(_FieldError):
    status_code = 413
    code = "too_large"


class UnsupportedMediaType(_FieldError):
    status_code = 415
    code = "unsupported_media_type"


async def _handle_domain_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    challenge = isinstance(error, Unauthorized)
    headers = {"WWW-Authenticate": "Bearer"} if challenge else None
    return JSONResponse(
        status_code=error.status_code, content=error.body(), headers=headers
    )


class _AsciiJSONResponse(JSONResponse):
    """JSON with every non-ASCII character escaped.

    A lone surrogate from the request's input cannot be encoded as UTF-8,
    but its escape is valid JSON.
    """

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode()


async def _handle_validation_error(_request: Request, error: Exception) -> JSONResponse:
    """Return FastAPI's 422 body, with the input values JSON cannot carry as text.

    FastAPI's own handler echoes each rejected input, and failed with 500 on
    NaN, an infinity or a lone surrogate in a JSON body.
    """
    assert isinstance(error, RequestValidationError)
    detail = _json_safe(jsonable_encoder(error.errors()))
    return _AsciiJSONResponse(status_code=422, content={"detail": detail})


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    return value


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _handle_domain_error)
    app.add_exception_handler(RequestValidationError, _handle_validation_error)
