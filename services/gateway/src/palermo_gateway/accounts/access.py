"""Which verified tokens may change state through the gateway.

A token whose subject is bound to an account acts only while that account
is active and only in the account's role and State. A token whose subject
no account names is refused, except:

- a Secretariat bootstrap token. In local mode (no JWKS URL) that is any
  Secretariat token signed with the local key, as `palermo token` issues.
  With an OIDC provider, it is a token of a Secretariat subject listed in
  `ACCOUNTS_BOOTSTRAP_SUBJECTS`.
- in local mode with `ACCOUNTS_LOCAL_IDENTITIES` on (the default), the
  development identities of `LocalIssuer` (`<role>-<state>@palermo.local`)
  that the demo and the tests act as.

Observers are read-only whatever their account.
"""

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_gateway.accounts.domain import AccountStatus, check_bound_identity
from palermo_gateway.accounts.registry import account_of_subject
from palermo_shared.auth import LocalIssuer, Principal, Role
from palermo_shared.errors import Forbidden


@dataclass(frozen=True)
class AccessPolicy:
    local_mode: bool
    bootstrap_subjects: frozenset[str]
    local_identities: bool

    def exempts(self, principal: Principal) -> bool:
        """Return whether `principal` may act without an account."""
        if principal.role is Role.SECRETARIAT:
            return self.local_mode or principal.subject in self.bootstrap_subjects
        development = LocalIssuer.subject(principal.role, principal.state)
        return (
            self.local_mode
            and self.local_identities
            # Addresses compare in any case, as mail servers do in practice.
            and principal.subject.lower() == development
        )


async def check_write_access(
    session: AsyncSession, principal: Principal, policy: AccessPolicy
) -> None:
    """Raise `Forbidden` unless `principal` may send a state-changing request."""
    if principal.role is Role.OBSERVER:
        raise Forbidden("observers have read-only access")
    account = await account_of_subject(session, principal.subject)
    if account is None:
        if policy.exempts(principal):
            return
        raise Forbidden(
            f"no account is registered for the token subject {principal.subject!r}; "
            "ask the Secretariat to register you"
        )
    if account.status != AccountStatus.ACTIVE.value:
        ended_at = account.ended_at.isoformat() if account.ended_at else "-"
        raise Forbidden(
            f"the account of {principal.subject!r} was ended on {ended_at}; "
            "ask the Secretariat to register you again"
        )
    check_bound_identity(principal, account.role, account.state)
