"""Events of the gateway's account registry: invitations, activations, ends.

`AccountInvited` carries the activation link, so it is the one event whose
data is a secret. Its subject starts with `INVITATION_SUBJECT_PREFIX`, and
the gateway's event stream leaves out every record with such a key, so
dashboards never receive it. The notify service reads the gateway's topic
to send the invitation.
"""

import datetime as dt

from palermo_shared.events import TOPIC_GATEWAY, EventPayload, event

INVITATION_SUBJECT_PREFIX = "invitation/"

# In local mode (no OIDC provider), the gateway binds each activated account
# to the token subject `account-<account id>`.
LOCAL_ACCOUNT_SUBJECT_PREFIX = "account-"


def local_account_subject(account_id: str) -> str:
    """Return the token subject of an account activated in local mode."""
    return f"{LOCAL_ACCOUNT_SUBJECT_PREFIX}{account_id}"


def local_account_id(subject: str) -> str | None:
    """Return the account id in a local-mode subject, or None for another subject."""
    if not subject.startswith(LOCAL_ACCOUNT_SUBJECT_PREFIX):
        return None
    return subject.removeprefix(LOCAL_ACCOUNT_SUBJECT_PREFIX) or None


@event("palermo.gateway.account_invited", version=1, topic=TOPIC_GATEWAY)
class AccountInvited(EventPayload):
    """The Secretariat registered a person, who is sent an activation link."""

    account_id: str
    invitation_id: str
    name: str
    email: str
    # secretariat, focal_point, expert or observer.
    role: str
    # ISO 3166-1 alpha-3 code; None for the Secretariat and observers.
    state: str | None
    # ISO 639-1 code of one of the six UN languages.
    language: str
    activation_url: str
    expires_at: dt.datetime


@event("palermo.gateway.account_activated", version=1, topic=TOPIC_GATEWAY)
class AccountActivated(EventPayload):
    account_id: str
    role: str
    state: str | None
    activated_at: dt.datetime


@event("palermo.gateway.account_ended", version=1, topic=TOPIC_GATEWAY)
class AccountEnded(EventPayload):
    """An account stopped being valid, by replacement or by the Secretariat."""

    account_id: str
    role: str
    state: str | None
    ended_by: str
    # "replaced" when a new focal point of the State was registered, else "ended".
    reason: str
    ended_at: dt.datetime
