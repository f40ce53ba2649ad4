"""Routes of the States-parties registry: lookups on a date and dated changes."""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from palermo_draw import registry
from palermo_draw.api.schemas import (
    PartyStatusPublic,
    RegistryChangePublic,
    RegistryImportPublic,
    StateChange,
    StatePublic,
)
from palermo_shared.auth import AUTHENTICATED, SECRETARIAT_ONLY
from palermo_shared.dates import IsoDate, MechanismDate
from palermo_shared.errors import (
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from palermo_shared.filters import StateCodePath
from palermo_shared.reference.states import StateParty
from palermo_shared.service import ServiceRuntime, runtime_of

router = APIRouter(dependencies=[AUTHENTICATED])
Runtime = Annotated[ServiceRuntime, Depends(runtime_of)]
OnDate = Annotated[
    IsoDate | None,
    Query(alias="on", description="Date of the registry to read; today if omitted"),
]
MAX_IMPORT_BYTES = 1_000_000


def _state_public(state: StateParty) -> StatePublic:
    return StatePublic(
        iso3=state.iso3,
        name=state.name,
        regional_group=state.regional_group,
        legal_system=state.legal_system,
        instruments={
            i: PartyStatusPublic(deposit_date=s.deposit_date)
            for i, s in state.instruments.items()
        },
        uncac=(
            PartyStatusPublic(deposit_date=state.uncac.deposit_date)
            if state.uncac
            else None
        ),
    )


@router.get("/states", response_model=list[StatePublic])
async def list_states(runtime: Runtime, on: OnDate = None) -> list[StatePublic]:
    async with runtime.session() as session:
        states = await registry.registry_at(session, on or dt.date.today())
    return [_state_public(s) for s in states.values()]


@router.get("/states/{iso3}", response_model=StatePublic)
async def get_state(
    iso3: StateCodePath, runtime: Runtime, on: OnDate = None
) -> StatePublic:
    async with runtime.session() as session:
        states = await registry.registry_at(session, on or dt.date.today())
    state = states.get(iso3)
    if state is None:
        raise NotFound(f"State {iso3} not found in the States-parties registry")
    return _state_public(state)


@router.put(
    "/states/{iso3}",
    response_model=RegistryChangePublic,
    dependencies=[SECRETARIAT_ONLY],
)
async def change_state(
    iso3: StateCodePath, body: StateChange, runtime: Runtime
) -> RegistryChangePublic:
    """Replace an entity's row from `effective_date` on, or add a new entity.

    The same change sent again is not stored twice.
    """
    row = registry.validate_row({"iso3": iso3, **body.model_dump(mode="json")})
    async with runtime.transaction() as session:
        recorded = await registry.record_changes(
            session, [row], effective_date=body.effective_date, source="api"
        )
    # Sending the same change again returns the change already recorded.
    [change] = recorded.new or recorded.already_recorded
    return RegistryChangePublic.model_validate(change, from_attributes=True)


@router.post(
    "/states/import",
    response_model=RegistryImportPublic,
    dependencies=[SECRETARIAT_ONLY],
)
async def import_states(
    request: Request,
    runtime: Runtime,
    effective_date: Annotated[
        MechanismDate, Query(description="Date the rows apply from")
    ],
) -> RegistryImportPublic:
    """Import rows shaped like states.csv (text/csv body); a bad row rejects all.

    Rows already recorded with the same effective date are not stored again.
    """
    _check_csv_media_type(request.headers.get("content-type", ""))
    raw = await request.body()
    if len(raw) > MAX_IMPORT_BYTES:
        raise PayloadTooLarge(
            f"CSV body of {len(raw)} bytes exceeds {MAX_IMPORT_BYTES} bytes; "
            "split the rows into several imports",
            field="body",
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            f"CSV body is not UTF-8 (byte {error.start}); save the file as "
            'UTF-8 (in a spreadsheet, as "CSV UTF-8") and send it again',
            field="body",
        ) from None
    rows = registry.parse_csv(text)
    async with runtime.transaction() as session:
        recorded = await registry.record_changes(
            session, rows, effective_date=effective_date, source="csv_import"
        )
    return RegistryImportPublic(
        effective_date=effective_date,
        changed=[change.iso3 for change in recorded.new],
        recorded=len(recorded.new),
        already_recorded=len(recorded.already_recorded),
    )


@router.get("/registry-changes", response_model=list[RegistryChangePublic])
async def list_registry_changes(runtime: Runtime) -> list[RegistryChangePublic]:
    async with runtime.session() as session:
        changes = await registry.list_changes(session)
    return [
        RegistryChangePublic.model_validate(c, from_attributes=True) for c in changes
    ]


def _check_csv_media_type(content_type: str) -> None:
    """Raise 415 for a body sent as JSON or as a form, which is not CSV.

    Other types, or none, are read as CSV, because clients such as curl
    send raw data as application/x-www-form-urlencoded by default.
    """
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type in ("application/json", "multipart/form-data") or media_type.endswith(
        "+json"
    ):
        raise UnsupportedMediaType(
            "the body must be CSV rows shaped like states.csv, sent with "
            f"Content-Type text/csv; Content-Type sent: {content_type!r}",
            field="content-type",
        )
