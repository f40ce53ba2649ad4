"""The account registry: registration, activation, ending and lookups."""

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_gateway.accounts.domain import (
    AccountStatus,
    EndReason,
    check_invitation_usable,
    check_registration,
    code_sha256,
    new_code,
    unknown_code,
)
from palermo_gateway.accounts.tables import Account, Invitation
from palermo_shared.auth import Principal, Role
from palermo_shared.clock import utcnow
from palermo_shared.contracts import AccountActivated, AccountEnded, AccountInvited
from palermo_shared.contracts.accounts import (
    INVITATION_SUBJECT_PREFIX,
    local_account_subject,
)
from palermo_shared.errors import Conflict, NotFound
from palermo_shared.events import new_event
from palermo_shared.ids import new_id
from palermo_shared.outbox import record_event

logger = logging.getLogger(__name__)

SOURCE = "/palermo/gateway"


@dataclass(frozen=True)
class Registration:
    name: str
    email: str
    role: Role
    state: str | None
    language: str


@dataclass(frozen=True)
class InvitationTerms:
    """How long an invitation lasts and where its link points."""

    lifetime: dt.timedelta
    # Contains "{code}", replaced by the activation code.
    activation_url: str


async def register(
    session: AsyncSession,
    registration: Registration,
    terms: InvitationTerms,
    *,
    by: Principal,
) -> tuple[Account, Invitation]:
    """Register a person and invite them; a new focal point ends the previous one."""
    check_registration(registration.name, registration.role, registration.state)

    if registration.role is Role.FOCAL_POINT:
        await _end_current_focal_point(session, registration.state, by=by)
    account = Account(
        id=new_id(),
        name=registration.name,
        email=registration.email,
        role=registration.role.value,
        state=registration.state,
        language=registration.language,
        status=AccountStatus.INVITED.value,
        created_by=by.subject,
    )
    session.add(account)
    await _flush_or_conflict(
        session,
        f"another focal point of {registration.state} was registered at the "
        "same time; send the registration again",
    )
    invitation = _invite(session, account, terms)

    logger.info(
        "account %s registered as %s of %s by %s",
        account.id,
        account.role,
        account.state or "-",
        by.subject,
    )
    return account, invitation


async def _flush_or_conflict(session: AsyncSession, message: str) -> None:
    """Flush, turning a unique index violation by a concurrent writer into 409."""
    try:
        await session.flush()
    except IntegrityError as error:
        logger.warning("accounts: concurrent write rejected: %s", error.orig)
        raise Conflict(message) from error


def _invite(
    session: AsyncSession, account: Account, terms: InvitationTerms
) -> Invitation:
    code = new_code()
    invitation = Invitation(
        id=new_id(),
        account_id=account.id,
        code_sha256=code_sha256(code),
        expires_at=utcnow() + terms.lifetime,
    )
    session.add(invitation)
    payload = AccountInvited(
        account_id=account.id,
        invitation_id=invitation.id,
        name=account.name,
        email=account.email,
        role=account.role,
        state=account.state,
        language=account.language,
        activation_url=terms.activation_url.replace("{code}", code),
        expires_at=invitation.expires_at,
    )
    subject = f"{INVITATION_SUBJECT_PREFIX}{invitation.id}"
    record_event(session, new_event(payload, source=SOURCE, subject=subject))
    return invitation


async def _end_current_focal_point(
    session: AsyncSession, state: str | None, *, by: Principal
) -> None:
    query = (
        select(Account)
        .where(
            col(Account.role) == Role.FOCAL_POINT.value,
            col(Account.state) == state,
            col(Account.status) != AccountStatus.ENDED.value,
        )
        .with_for_update()
    )
    for previous in (await session.exec(query)).all():
        end(session, previous, by=by, reason=EndReason.REPLACED)
    await session.flush()


def end(
    session: AsyncSession, account: Account, *, by: Principal, reason: EndReason
) -> None:
    """Mark the account ended, recording who ended it and when."""
    account.status = AccountStatus.ENDED.value
    account.ended_at = utcnow()
    account.ended_by = by.subject
    account.end_reason = reason.value
    session.add(account)
    payload = AccountEnded(
        account_id=account.id,
        role=account.role,
        state=account.state,
        ended_by=by.subject,
        reason=reason.value,
        ended_at=account.ended_at,
    )
    record_event(
        session, new_event(payload, source=SOURCE, subject=f"account/{account.id}")
    )
    logger.info("account %s ended (%s) by %s", account.id, reason.value, by.subject)


async def end_account(
    session: AsyncSession, account_id: str, *, by: Principal
) -> Account:
    account = await get_account(session, account_id, lock=True)
    if account.status == AccountStatus.ENDED.value:
        raise Conflict(f"account {account_id} was already ended")
    end(session, account, by=by, reason=EndReason.ENDED)
    return account


async def activate(session: AsyncSession, code: str, *, subject: str | None) -> Account:
    """Use an invitation code once and bind the account to a token subject.

    `subject` is the caller's token subject with an OIDC provider; without
    one (local mode), the account gets a subject of its own.
    """
    invitation = await _invitation_of(session, code)
    check_invitation_usable(
        used_at=invitation.used_at, expires_at=invitation.expires_at, now=utcnow()
    )
    account = await get_account(session, invitation.account_id, lock=True)
    if account.status == AccountStatus.ENDED.value:
        raise Conflict(
            f"account {account.id} was ended before activation; "
            "ask the Secretariat for a new invitation",
            field="code",
        )
    if subject is not None and await _bound_account(session, subject) is not None:
        raise Conflict(
            f"the token subject {subject!r} is already bound to an account",
            field="authorization",
        )

    invitation.used_at = utcnow()
    account.subject = subject or local_account_subject(account.id)
    account.status = AccountStatus.ACTIVE.value
    account.activated_at = invitation.used_at
    session.add_all([invitation, account])
    await _flush_or_conflict(
        session, f"the token subject {subject!r} is already bound to an account"
    )
    payload = AccountActivated(
        account_id=account.id,
        role=account.role,
        state=account.state,
        activated_at=account.activated_at,
    )
    record_event(
        session, new_event(payload, source=SOURCE, subject=f"account/{account.id}")
    )
    logger.info("account %s activated", account.id)
    return account


async def _invitation_of(session: AsyncSession, code: str) -> Invitation:
    query = (
        select(Invitation)
        .where(col(Invitation.code_sha256) == code_sha256(code))
        .with_for_update()
    )
    invitation = (await session.exec(query)).first()
    if invitation is None:
        raise unknown_code()
    return invitation


async def get_account(
    session: AsyncSession, account_id: str, *, lock: bool = False
) -> Account:
    account = await session.get(Account, account_id, with_for_update=lock)
    if account is None:
        raise NotFound(f"account {account_id} not found")
    return account


async def _bound_account(session: AsyncSession, subject: str) -> Account | None:
    query = select(Account).where(
        col(Account.subject) == subject,
        col(Account.status) != AccountStatus.ENDED.value,
    )
    return (await session.exec(query)).first()


async def account_of_subject(session: AsyncSession, subject: str) -> Account | None:
    """Return the account bound to `subject`: its current one, else its last ended."""
    current = await _bound_account(session, subject)
    if current is not None:
        return current
    query = (
        select(Account)
        .where(col(Account.subject) == subject)
        .order_by(col(Account.ended_at).desc())
        .limit(1)
    )
    return (await session.exec(query)).first()


async def list_accounts(session: AsyncSession, state: str | None) -> list[Account]:
    query = select(Account).order_by(col(Account.created_at), col(Account.id))
    if state is not None:
        query = query.where(col(Account.state) == state)
    return list((await session.exec(query)).all())
