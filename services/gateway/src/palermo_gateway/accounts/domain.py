"""Rules of the account registry, without I/O."""

import datetime as dt
import hashlib
import secrets
from enum import StrEnum

from palermo_shared.auth import STATE_ROLES, Principal, Role
from palermo_shared.errors import Conflict, Forbidden, InvalidInput, NotFound

# 32 random bytes, URL-safe: the code goes into a link.
CODE_BYTES = 32
UN_LANGUAGES = ("ar", "en", "es", "fr", "ru", "zh")


class AccountStatus(StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    ENDED = "ended"


class EndReason(StrEnum):
    REPLACED = "replaced"
    ENDED = "ended"


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def code_sha256(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def check_registration(name: str, role: Role, state: str | None) -> None:
    """Raise `InvalidInput` naming the field when a registration breaks a rule.

    `state` is a code that the API schema has checked against the registry,
    and the API schema has also put the e-mail address in its stored form.
    """
    if not name:
        raise InvalidInput("name is empty; give the person's full name", field="name")
    if role in STATE_ROLES and state is None:
        raise InvalidInput(
            f"{role.with_article()} acts for a State: give its ISO 3166-1 alpha-3 code",
            field="state",
        )
    if role not in STATE_ROLES and state is not None:
        raise InvalidInput(
            f"{role.with_article()} acts for no State; leave state out",
            field="state",
        )


def check_invitation_usable(
    *, used_at: dt.datetime | None, expires_at: dt.datetime, now: dt.datetime
) -> None:
    """Raise `Conflict` when an invitation was used or has expired."""
    if used_at is not None:
        raise Conflict(
            f"this activation code was already used on {used_at.isoformat()}; "
            "ask the Secretariat for a new invitation",
            field="code",
        )
    if now >= expires_at:
        raise Conflict(
            f"this activation code expired on {expires_at.isoformat()}; "
            "ask the Secretariat for a new invitation",
            field="code",
        )


def unknown_code() -> NotFound:
    return NotFound(
        "activation code not found; copy the whole link from the invitation",
        field="code",
    )


def check_bound_identity(principal: Principal, role: str, state: str | None) -> None:
    """Raise `Forbidden` when a token's role or State differs from its account's."""
    if principal.role.value != role or principal.state != state:
        raise Forbidden(
            f"the token is for {principal.role.value} of {principal.state or '-'}, "
            f"but its account is {role} of {state or '-'}"
        )
