"""The State and role that a token subject acts for, where the service can tell.

A focal point appoints experts by their token subject, which the service
cannot check against a token it has not seen. Two kinds of subject name
their account's State and role:

- `account-<id>`, the subject of an account activated in local mode. The
  gateway publishes `AccountActivated` and `AccountEnded` with the account's
  role and State, and the `gateway_account` table keeps them.
- the development identities `<role>-<state>@palermo.local`.

Any other subject, such as one bound by an OIDC provider, is not placed.
"""

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_review.tables import GatewayAccount
from palermo_shared.auth import LocalIssuer, Role
from palermo_shared.contracts import AccountActivated, AccountEnded
from palermo_shared.contracts.accounts import local_account_id
from palermo_shared.errors import InvalidInput
from palermo_shared.events import EventPayload
from palermo_shared.preload import add_row, get_row, new_row, preload_rows

logger = logging.getLogger(__name__)

# A role that a later release of the gateway adds is not placed.
ROLE_NAMES = frozenset(role.value for role in Role)


@dataclass(frozen=True)
class Placement:
    """The role and State that a subject acts for, and when its account ended."""

    role: Role
    state: str | None
    ended_at: dt.datetime | None = None


async def preload_accounts(
    session: AsyncSession, payloads: Sequence[EventPayload]
) -> None:
    """Load the accounts of a batch of account events in one query."""
    ids = [
        p.account_id for p in payloads if isinstance(p, AccountActivated | AccountEnded)
    ]
    await preload_rows(session, GatewayAccount, ids)


async def receive_account(
    session: AsyncSession, payload: AccountActivated | AccountEnded
) -> None:
    """Store the account's role and State, and its end once it ended.

    An activation read after the end, as in a replay, keeps the end.
    """
    account = await get_row(session, GatewayAccount, payload.account_id)
    if account is None:
        account = new_row(
            GatewayAccount,
            id=payload.account_id,
            role=payload.role,
            state=payload.state,
        )
        add_row(session, payload.account_id, account)
    account.role, account.state = payload.role, payload.state
    if isinstance(payload, AccountEnded):
        account.ended_at = payload.ended_at
    session.add(account)
    logger.info(
        "account %s: %s of %s%s",
        payload.account_id,
        payload.role,
        payload.state or "-",
        ", ended" if account.ended_at else "",
    )


async def place_subject(session: AsyncSession, subject: str) -> Placement | None:
    """Return the role and State that `subject` acts for, or None if unknown."""
    identity = LocalIssuer.identity(subject)
    if identity is not None:
        role, state = identity
        return Placement(role, state)

    account_id = local_account_id(subject)
    if account_id is None:
        return None
    account = await session.get(GatewayAccount, account_id)
    if account is None or account.role not in ROLE_NAMES:
        return None
    return Placement(Role(account.role), account.state, account.ended_at)


async def check_acts_as(
    session: AsyncSession, subject: str, role: Role, state: str, *, field: str
) -> None:
    """Raise `InvalidInput` on `field` if `subject` is known not to act as
    `role` of `state`, or its account ended.

    A subject that the service cannot place passes, because no record shows
    which State it acts for.
    """
    placement = await place_subject(session, subject)
    if placement is None:
        return

    reason = None
    if placement.ended_at is not None:
        reason = f"its account was ended on {placement.ended_at.isoformat()}"
    elif placement.role != role or placement.state != state:
        reason = _described(placement)
    if reason is not None:
        raise InvalidInput(
            f"cannot appoint {subject} as {role.with_article()} of {state}, "
            f"because {reason}",
            field=field,
        )


def _described(placement: Placement) -> str:
    """Return the placement in words, as in "it is an expert of ESP"."""
    if placement.state is None:
        return f"it has the role {placement.role.value}, which acts for no State"
    return f"it is {placement.role.with_article()} of {placement.state}"
