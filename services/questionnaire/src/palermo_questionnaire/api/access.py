"""Access rules for reading and writing a State's response.

- The State's focal point and experts draft; only its focal point submits, since
  the focal point clears each output of its State.
- The Secretariat reads every response but writes none.
- The two reviewing States read it once the lots are drawn, and lose access
  when a redraw replaces them. They read what the State submitted: its
  drafts stay with the State until its focal point submits them, and so do
  the attachments and contributions added after its latest submission.
- Observers read nothing here: responses are confidential.

A refusal names no reviewer and does not say whether the response exists.
"""

import datetime as dt
from typing import Annotated

from fastapi import Depends
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_questionnaire.api.keys import Key, Runtime
from palermo_questionnaire.responses import (
    ResponseKey,
    latest_submission_time,
    require_response,
)
from palermo_shared.assignments import reviewers_of
from palermo_shared.auth import STATE_ROLES, Caller, Principal, Role
from palermo_shared.errors import Forbidden


async def may_read(
    session: AsyncSession, principal: Principal, key: ResponseKey
) -> bool:
    """Return whether `principal` may read the response at `key`."""
    if principal.is_secretariat or principal.acts_for(key.state):
        return True
    if principal.role not in STATE_ROLES:
        return False
    reviewers = await reviewers_of(
        session, key.phase_id, key.instrument.value, key.state
    )
    return principal.state in reviewers


async def readable_key(key: Key, principal: Caller, runtime: Runtime) -> ResponseKey:
    """Return `key` if the caller may read it, else raise `Forbidden`."""
    async with runtime.session() as session:
        allowed = await may_read(session, principal, key)
    if not allowed:
        raise Forbidden(
            f"{key.describe()} is readable by its State, the Secretariat and, "
            "after the draw, its reviewing States"
        )
    return key


def reads_drafts(principal: Principal, key: ResponseKey) -> bool:
    """Return whether `principal` reads the response's unsubmitted material."""
    return principal.is_secretariat or principal.acts_for(key.state)


def check_draft_hidden(principal: Principal, key: ResponseKey, status: str) -> None:
    """Raise `Forbidden` when a reviewing State requests the response as a draft."""
    if status == "submitted" or reads_drafts(principal, key):
        return
    raise Forbidden(
        f"{key.describe()} is a draft, which only its State and the Secretariat "
        "read; reviewing States read its submitted versions (GET .../versions)"
    )


async def visible_until(
    session: AsyncSession, principal: Principal, key: ResponseKey
) -> dt.datetime | None:
    """Return the latest creation time of the attachments and contributions
    that `principal` may read, or None when it may read all of them.

    A reviewing State may read those created up to the latest submission.
    Raise `Forbidden` for it while the response was never submitted.
    """
    if reads_drafts(principal, key):
        return None

    response = await require_response(session, key)
    submitted_at = await latest_submission_time(session, response.id)
    if submitted_at is None:
        raise Forbidden(
            f"{key.describe()} is a draft that was never submitted; reviewing "
            "States read its attachments and contributions once its focal point "
            "submits it"
        )
    return submitted_at


def draftable_key(key: Key, principal: Caller) -> ResponseKey:
    """Return `key` if the caller is a focal point or expert of its State."""
    if not principal.acts_for(key.state):
        raise Forbidden(
            f"only focal points and experts of {key.state} may edit {key.describe()}"
        )
    return key


def submittable_key(key: Key, principal: Caller) -> ResponseKey:
    """Return `key` if the caller is the focal point of its State."""
    if not (principal.role is Role.FOCAL_POINT and principal.state == key.state):
        raise Forbidden(
            f"only the focal point of {key.state} may submit {key.describe()}"
        )
    return key


ReadableKey = Annotated[ResponseKey, Depends(readable_key)]
DraftableKey = Annotated[ResponseKey, Depends(draftable_key)]
SubmittableKey = Annotated[ResponseKey, Depends(submittable_key)]
