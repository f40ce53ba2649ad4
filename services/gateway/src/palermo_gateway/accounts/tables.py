"""Tables of the account registry. None of them goes on the wire as is."""

import datetime as dt

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from palermo_shared.clock import utcnow


class Account(SQLModel, table=True):
    """A person the Secretariat registered, from invitation to end."""

    __tablename__ = "account"
    __table_args__ = (
        # At most one focal point per State that is not ended, whatever the
        # order of concurrent registrations.
        Index(
            "ux_account_current_focal_point",
            "state",
            unique=True,
            sqlite_where=text("role = 'focal_point' AND status != 'ended'"),
            postgresql_where=text("role = 'focal_point' AND status != 'ended'"),
        ),
        # A token subject names one account that is not ended; an ended
        # account keeps its subject, so the person can be registered again.
        Index(
            "ux_account_current_subject",
            "subject",
            unique=True,
            sqlite_where=text("status != 'ended'"),
            postgresql_where=text("status != 'ended'"),
        ),
    )

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    role: str = Field(max_length=20)
    state: str | None = Field(default=None, max_length=3, index=True)
    language: str = Field(max_length=2)
    # invited, active or ended.
    status: str = Field(max_length=10)
    # Token subject, bound at activation.
    subject: str | None = Field(default=None, index=True, max_length=255)
    created_at: dt.datetime = Field(default_factory=utcnow)
    created_by: str = Field(max_length=255)
    activated_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    ended_by: str | None = Field(default=None, max_length=255)
    end_reason: str | None = Field(default=None, max_length=20)


class Invitation(SQLModel, table=True):
    """A single-use activation code, stored only as its SHA-256 hash."""

    __tablename__ = "invitation"

    id: str = Field(primary_key=True, max_length=64)
    account_id: str = Field(foreign_key="account.id", index=True, max_length=64)
    code_sha256: str = Field(unique=True, max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow)
    expires_at: dt.datetime
    used_at: dt.datetime | None = None
