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
A database that is busy, unreachable or read-only for a while gets 503 with
Retry-After (`unavailable`), since the same request can succeed later.
A client that closes the connection before sending the whole body is
logged at INFO rather than as an unhandled error.

A request that breaks the API's schema gets the body of `InvalidInput` too,
with `problems` listing each field at fault and its reason, so a client
reads one shape of error from every service and the gateway.
"""

import json
import logging
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from palermo_shared.allow import document_methods, method_not_allowed_message
from palermo_shared.db import DatabaseUnreachable
from palermo_shared.request_id import REQUEST_ID_HEADER

logger = logging.getLogger(__name__)

# Retry-After, in seconds, of a request that failed on a busy or
# unreachable database.
RETRY_AFTER_SECONDS = 5

# PostgreSQL error codes of a transaction that may succeed when run again:
# serialization_failure, deadlock_detected and lock_not_available, and
# read_only_sql_transaction, as on a standby server during a failover or on a
# database set read-only for maintenance.
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "55P03", "25006"})


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


# A questionnaire body with 200,000 unknown question ids made an error
# response of about 20 MB.
# The first problems are enough to correct a request and send it again.
MAX_LISTED_PROBLEMS = 100

# FastAPI prefixes each error's location with where the value came from.
_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})


def invalid_input(message: str, problems: list[dict[str, str]]) -> InvalidInput:
    """Return the error for `problems`, listing the first `MAX_LISTED_PROBLEMS`.

    Each problem maps `field` to the field at fault and `message` to the reason.
    """
    summary = f"{message}: {len(problems)} problem(s)"
    if len(problems) > MAX_LISTED_PROBLEMS:
        summary += f", the first {MAX_LISTED_PROBLEMS} listed"
    return InvalidInput(
        summary,
        field=problems[0]["field"],
        problems=problems[:MAX_LISTED_PROBLEMS],
    )


async def _handle_validation_error(request: Request, error: Exception) -> JSONResponse:
    """Return 422 with the body of `InvalidInput`, a problem per rejected field.

    The rejected values are left out: FastAPI's own handler echoed them, and
    failed with 500 on NaN, an infinity or a lone surrogate in a JSON body.
    A reason may still quote a value, so the body is written in ASCII.
    """
    assert isinstance(error, RequestValidationError)
    errors = error.errors()
    failure: DomainError = invalid_input(
        "invalid request", [_problem(e, error.body) for e in _reported(errors)]
    )
    content_type = request.headers.get("content-type", "")
    if _body_not_read_as_json(errors) and not _is_json(content_type):
        sent = repr(content_type) if content_type else "none"
        failure = UnsupportedMediaType(
            "the request body must be JSON sent with Content-Type "
            f"application/json; Content-Type sent: {sent}",
            field="content-type",
        )
    return _AsciiJSONResponse(status_code=failure.status_code, content=failure.body())


def _reported(errors: Sequence[Any]) -> Sequence[Any]:
    """Return `errors` without those of the None member of a union.

    An optional field typed `X | SkipJsonSchema[None]` fails as both `X`
    and None, and "Input should be None" would mislead the client.
    """
    reported = [e for e in errors if e["type"] != "none_required"]
    return reported or errors


def _problem(error: dict[str, Any], body: Any) -> dict[str, str]:
    location = list(error["loc"])
    if error["type"] == "json_invalid":
        # FastAPI places the character's position where a field name goes.
        reason = error.get("ctx", {}).get("error", "invalid JSON")
        message = f"invalid JSON at character {location[-1]}: {reason}"
        return {"field": "body", "message": message}

    if location and location[0] == "body":
        path = _request_path(location[1:], body)
    elif location and location[0] in _LOCATIONS:
        # A parameter's value is a string or a list of strings, so after its
        # name only a list index belongs to the request.
        path = [location[1], *(p for p in location[2:] if isinstance(p, int))]
    else:
        path = location
    field = ".".join(str(p) for p in path) or "body"
    return {"field": field, "message": _reason(error)}


# The JSON value a field of a strict type expects, by pydantic's error type.
# Pydantic's message is only "Input should be a valid integer", even for "3",
# which a client takes for a whole number.
_EXPECTED_JSON = {
    "int_type": "a whole number such as 3",
    "bool_type": "true or false",
}


def _reason(error: dict[str, Any]) -> str:
    """Return the validator's own message, without pydantic's "Value error, "."""
    if error["type"] == "value_error":
        cause = error.get("ctx", {}).get("error")
        if cause is not None:
            return str(cause)
    expected = _EXPECTED_JSON.get(error["type"])
    if expected is not None and "input" in error:
        return f"expected {expected}, not {_json_kind(error['input'])}"
    return str(error["msg"])


def _json_kind(value: Any) -> str:
    """Return what a decoded JSON value is, in the words of JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return "text"
    if isinstance(value, float):
        return "a number with a fractional part or exponent"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _request_path(location: list[Any], body: Any) -> list[Any]:
    """Return the keys and indexes of `location` that exist in `body`.

    Pydantic adds the member of a union it tried, such as "constrained-str"
    or "list[str-enum[Channel]]", to an error's location, but the client
    sent no such field. A key missing from the body is kept only at the
    end, where it names a missing field.
    """
    path = []
    value = body
    for index, part in enumerate(location):
        is_last = index == len(location) - 1
        if isinstance(value, dict) and (part in value or is_last):
            path.append(part)
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int):
            path.append(part)
            value = value[part] if 0 <= part < len(value) else None
    return path


def _body_not_read_as_json(errors: Sequence[Any]) -> bool:
    """Return whether a body was sent but not taken for a JSON object.

    FastAPI parses a body as JSON only under a JSON media type, and otherwise
    rejects the whole body as not being an object.
    """
    return any(tuple(e["loc"]) == ("body",) and e["type"] != "missing" for e in errors)


def _is_json(content_type: str) -> bool:
    media_type = content_type.partition(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


async def _handle_http_error(request: Request, error: Exception) -> JSONResponse:
    """Return an HTTP error of the framework (an unknown path, a method not
    allowed, a body that cannot be read) in the body of every other error."""
    assert isinstance(error, StarletteHTTPException)
    code = _HTTP_CODES.get(error.status_code, "error")
    content: dict[str, Any] = {"detail": error.detail, "code": code}
    headers = error.headers
    if error.status_code == 405:
        headers = _list_allowed_methods(request, content, headers)
    # FastAPI reports only "There was an error parsing the body".
    cause = error.__cause__
    if error.status_code == 400 and isinstance(cause, RecursionError):
        content["detail"] = _TOO_DEEP_MESSAGE.format(limit=sys.getrecursionlimit())
        content["field"] = "body"
    if error.status_code == 400 and isinstance(cause, UnicodeDecodeError):
        content["detail"] = _NOT_UTF8_MESSAGE.format(
            position=cause.start, byte=cause.object[cause.start]
        )
        content["field"] = "body"
    return JSONResponse(status_code=error.status_code, content=content, headers=headers)


def _list_allowed_methods(
    request: Request, content: dict[str, Any], headers: Mapping[str, str] | None
) -> Mapping[str, str] | None:
    """Name in `content` every method of the request's path, and return the
    headers with an Allow header that lists them all.

    A path left out of the OpenAPI document keeps the router's Allow header.
    """
    path = request.url.path
    allowed = sorted(document_methods(request.app.openapi(), path))
    if not allowed:
        return headers
    content["detail"] = method_not_allowed_message(request.method, path, allowed)
    content["allowed"] = allowed
    return {**(headers or {}), "Allow": ", ".join(allowed)}


# Python's JSON parser recurses once per nested array or object, so a body
# nested deeper than the interpreter's recursion limit, less the frames of
# the server itself, cannot be parsed.
_TOO_DEEP_MESSAGE = (
    "invalid JSON body: arrays and objects are nested too deeply to parse; "
    "the limit is Python's recursion limit ({limit}) less the server's own "
    "calls, so nest fewer levels"
)


# Python's JSON parser decodes a body of bytes as UTF-8 (or UTF-16 or UTF-32,
# detected from its first bytes), whatever charset the Content-Type names.
_NOT_UTF8_MESSAGE = (
    "invalid JSON body: byte {position} (0x{byte:02x}) is not UTF-8; "
    "send the body encoded in UTF-8"
)


_HTTP_CODES = {
    400: "bad_request",
    401: Unauthorized.code,
    403: Forbidden.code,
    404: NotFound.code,
    405: "method_not_allowed",
    409: Conflict.code,
    413: PayloadTooLarge.code,
    415: UnsupportedMediaType.code,
    422: InvalidInput.code,
}


# The 422 body of `_handle_validation_error`, in the OpenAPI document.
_INVALID_INPUT_SCHEMA = {
    "title": "InvalidInput",
    "type": "object",
    "required": ["detail", "code", "field"],
    "properties": {
        "detail": {"type": "string", "title": "Detail"},
        "code": {"type": "string", "title": "Code", "example": "invalid"},
        "field": {"type": "string", "title": "Field"},
        "problems": {
            "type": "array",
            "title": "Problems",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string", "title": "Field"},
                    "message": {"type": "string", "title": "Message"},
                },
            },
        },
    },
}


def _document_invalid_input(app: FastAPI) -> None:
    """Describe every 422 of `app`'s OpenAPI document with the `InvalidInput` body.

    FastAPI documents its own validation body under `HTTPValidationError`,
    which every operation's 422 refers to, so only that schema is replaced.
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        document = generate()
        schemas = document.get("components", {}).get("schemas", {})
        if "HTTPValidationError" in schemas:
            schemas["HTTPValidationError"] = _INVALID_INPUT_SCHEMA
            schemas.pop("ValidationError", None)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _is_transient(error: DBAPIError) -> bool:
    """Return whether the database failed for a moment rather than for the request.

    SQLite reports "database is locked" when its busy timeout passed while
    other connections kept writing. On PostgreSQL a lost connection and the
    `_RETRYABLE_SQLSTATES` are transient.
    """
    if error.connection_invalidated:
        return True
    original = error.orig
    if "database is locked" in str(original):
        return True
    return getattr(original, "sqlstate", None) in _RETRYABLE_SQLSTATES


async def _handle_database_error(request: Request, error: Exception) -> JSONResponse:
    reason: object = error
    if isinstance(error, DBAPIError):
        if not _is_transient(error):
            raise error
        reason = error.orig
    logger.warning(
        "%s %s: database unavailable, responded with 503: %s",
        request.method,
        request.url.path,
        reason,
    )
    return JSONResponse(
        status_code=503,
        content={
            "detail": "the request failed because the database was busy, "
            "unreachable or read-only; send it again in "
            f"{RETRY_AFTER_SECONDS} seconds",
            "code": "unavailable",
        },
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def _handle_unexpected_error(request: Request, error: Exception) -> JSONResponse:
    """Return a 500 in the JSON shape of every error, for an error not caught.

    Starlette calls this handler last, then raises the error again, so the
    server still logs it with its traceback. By then the request id is no
    longer in the logging context, so this line ties the two together.
    """
    request_id = request.headers.get(REQUEST_ID_HEADER)
    logger.error(
        "unhandled error in %s %s, request %s: %r",
        request.method,
        request.url.path,
        request_id,
        error,
    )
    if request_id is None:
        return JSONResponse(
            status_code=500,
            content={
                "detail": "internal error; the server logged it",
                "code": "internal",
            },
        )
    return JSONResponse(
        status_code=500,
        content={
            "detail": f"internal error while handling request {request_id}; "
            "quote that request id to report it",
            "code": "internal",
        },
        headers={REQUEST_ID_HEADER: request_id},
    )


async def _handle_client_disconnect(request: Request, _error: Exception) -> Response:
    """Log a request whose client left before its body ended, at INFO.

    The client made the mistake and is gone, so this is no server error and
    the response reaches no one.
    """
    logger.info(
        "%s %s: the client closed the connection before sending the whole "
        "request body, request %s",
        request.method,
        request.url.path,
        request.headers.get(REQUEST_ID_HEADER),
    )
    return Response(status_code=400)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Exception, _handle_unexpected_error)
    app.add_exception_handler(ClientDisconnect, _handle_client_disconnect)
    app.add_exception_handler(DomainError, _handle_domain_error)
    app.add_exception_handler(DBAPIError, _handle_database_error)
    app.add_exception_handler(DatabaseUnreachable, _handle_database_error)
    app.add_exception_handler(RequestValidationError, _handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, _handle_http_error)
    _document_invalid_input(app)
