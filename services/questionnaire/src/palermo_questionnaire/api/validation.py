"""Request validation errors in the shape of `InvalidInput`, naming the field."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from palermo_questionnaire.problems import invalid_input

# FastAPI prefixes each error's location with where the value came from.
_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})


def install_validation_handler(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _handle)


async def _handle(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    problems = [_problem(e) for e in error.errors()]
    invalid = invalid_input("invalid request", problems)
    return JSONResponse(status_code=invalid.status_code, content=invalid.body())


def _problem(error: dict[str, Any]) -> dict[str, str]:
    location = [str(part) for part in error["loc"]]
    if location and location[0] in _LOCATIONS:
        location = location[1:]
    return {"field": ".".join(location) or "body", "message": error["msg"]}
