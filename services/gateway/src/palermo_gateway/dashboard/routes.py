"""Routes of the dashboard: its figures for the Secretariat, and its page."""

from importlib.resources import files
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from palermo_gateway.dashboard.projection import Dashboard, DashboardProjection
from palermo_shared.auth import Caller
from palermo_shared.errors import Forbidden, NotFound
from palermo_shared.query import accepts_any_query

router = APIRouter()

STATIC = files("palermo_gateway.dashboard") / "static"
ASSETS = {"dashboard.js": "text/javascript", "dashboard.css": "text/css"}


@router.get("/api/v1/dashboard", response_model=Dashboard)
async def read_dashboard(
    request: Request,
    caller: Caller,
    phase_id: Annotated[
        str | None, Query(description="Phase to show; the latest opened if absent")
    ] = None,
) -> Dashboard:
    """Return the progress of a review phase and the figures the Secretariat follows."""
    if not caller.is_secretariat:
        raise Forbidden("only the Secretariat can read the dashboard")
    projection: DashboardProjection = request.app.state.dashboard
    try:
        return projection.dashboard(phase_id)
    except KeyError:
        raise NotFound(f"no review phase {phase_id!r} has been seen") from None


@router.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
@accepts_any_query
async def dashboard_page() -> HTMLResponse:
    """Return the dashboard page, which requests a token before loading figures."""
    return HTMLResponse((STATIC / "dashboard.html").read_text(encoding="utf-8"))


@router.get("/dashboard/{name}", include_in_schema=False)
@accepts_any_query
async def dashboard_asset(name: str) -> Response:
    if name not in ASSETS:
        raise NotFound(f"no dashboard file {name!r}")
    content = (STATIC / name).read_bytes()
    return Response(content, media_type=ASSETS[name])
