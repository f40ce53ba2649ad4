"""Routes of the account registry, under `/api/v1/accounts`."""

import datetime as dt

from fastapi import APIRouter, Request, Response
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_gateway.accounts import registry
from palermo_gateway.accounts.domain import check_bound_identity
from palermo_gateway.accounts.registry import InvitationTerms, Registration
from palermo_gateway.accounts.schemas import (
    AccountOut,
    AccountRegistration,
    ActivationOut,
    ActivationRequest,
    InvitationOut,
    RegistrationOut,
)
from palermo_gateway.accounts.tables import Account
from palermo_gateway.settings import GatewaySettings
from palermo_shared.auth import (
    Caller,
    Principal,
    Role,
    current_principal,
    issue_token,
    load_or_create_signing_key,
)
from palermo_shared.errors import Forbidden, NotFound
from palermo_shared.filters import StateFilter
from palermo_shared.service import ServiceRuntime, runtime_of

router = APIRouter(prefix="/api/v1/accounts", tags=["accounts"])


def _require_secretariat(caller: Principal) -> None:
    if not caller.is_secretariat:
        raise Forbidden("only the Secretariat manages accounts")


def _account_out(account: Account) -> AccountOut:
    return AccountOut.model_validate(account, from_attributes=True)


@router.post("", status_code=201)
async def register_account(
    body: AccountRegistration, request: Request, caller: Caller
) -> RegistrationOut:
    """Register a nominated person and e-mail them an invitation.

    Registering a focal point ends the account of the State's previous one.
    """
    _require_secretariat(caller)
    settings: GatewaySettings = request.app.state.settings
    terms = InvitationTerms(
        lifetime=dt.timedelta(days=settings.invitation_lifetime_days),
        activation_url=settings.activation_url,
    )
    registration = Registration(
        name=body.name.strip(),
        email=body.email,
        role=body.role,
        state=body.state,
        language=body.language,
    )
    async with runtime_of(request).transaction() as session:
        account, invitation = await registry.register(
            session, registration, terms, by=caller
        )
    return RegistrationOut(
        account=_account_out(account),
        invitation=InvitationOut(id=invitation.id, expires_at=invitation.expires_at),
    )


@router.get("")
async def list_accounts(
    request: Request,
    caller: Caller,
    state: StateFilter = None,
) -> list[AccountOut]:
    """List accounts, of one State when `state` is given (Secretariat only)."""
    _require_secretariat(caller)
    async with runtime_of(request).session() as session:
        accounts = await registry.list_accounts(session, state)
    return [_account_out(account) for account in accounts]


@router.get("/me")
async def my_account(request: Request, caller: Caller) -> AccountOut:
    async with runtime_of(request).session() as session:
        account = await registry.account_of_subject(session, caller.subject)
    if account is None:
        raise NotFound(f"no account is registered for {caller.subject!r}")
    return _account_out(account)


@router.get("/{account_id}")
async def get_account(account_id: str, request: Request, caller: Caller) -> AccountOut:
    _require_secretariat(caller)
    async with runtime_of(request).session() as session:
        account = await registry.get_account(session, account_id)
    return _account_out(account)


@router.post("/{account_id}/end")
async def end_account(account_id: str, request: Request, caller: Caller) -> AccountOut:
    """End an account now; its tokens can change nothing any more."""
    _require_secretariat(caller)
    async with runtime_of(request).transaction() as session:
        account = await registry.end_account(session, account_id, by=caller)
    return _account_out(account)


@router.post("/activations", status_code=201)
async def activate_account(
    body: ActivationRequest, request: Request, response: Response
) -> ActivationOut:
    """Activate an account with its invitation code, once, before it expires.

    In local mode the response carries a token for the account. With an OIDC
    provider, send your provider's token: the account is bound to its subject.
    """
    settings: GatewaySettings = request.app.state.settings
    runtime = runtime_of(request)
    if settings.auth_jwks_url:
        return await _activate_with_provider(body.code, request, runtime)
    async with runtime.transaction() as session:
        account = await registry.activate(session, body.code, subject=None)
    response.headers["Cache-Control"] = "no-store"
    return _with_local_token(account, settings)


async def _activate_with_provider(
    code: str, request: Request, runtime: ServiceRuntime
) -> ActivationOut:
    caller = await current_principal(request)
    async with runtime.transaction() as session:
        account = await _activate_bound(session, code, caller)
    return ActivationOut(account=_account_out(account))


async def _activate_bound(
    session: AsyncSession, code: str, caller: Principal
) -> Account:
    account = await registry.activate(session, code, subject=caller.subject)
    # Raising here rolls the activation back.
    check_bound_identity(caller, account.role, account.state)
    return account


def _with_local_token(account: Account, settings: GatewaySettings) -> ActivationOut:
    lifetime = dt.timedelta(hours=settings.account_token_hours)
    assert account.subject is not None
    token = issue_token(
        load_or_create_signing_key(settings.signing_key_path()),
        subject=account.subject,
        role=Role(account.role),
        state=account.state,
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        lifetime=lifetime,
    )
    return ActivationOut(
        account=_account_out(account),
        access_token=token,
        token_type="bearer",
        expires_in=int(lifetime.total_seconds()),
    )
