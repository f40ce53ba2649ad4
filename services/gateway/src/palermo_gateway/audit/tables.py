"""The audit log table: append-only, each row hash-chained to the previous one."""

import datetime as dt

from sqlmodel import Field, SQLModel

# PostgreSQL rejects a longer value, and the rejected batch would block the
# log, so a request entry's path is truncated to fit.
PATH_MAX_LENGTH = 2000


class AuditEntry(SQLModel, table=True):
    """One request through the gateway or one event seen on the bus.

    `previous_sha256` is unique, so two entries can never follow the same
    one: the chain cannot fork even if the append lock were bypassed.
    """

    __tablename__ = "audit_entry"

    sequence: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    # "request" or "event".
    kind: str = Field(max_length=10)
    recorded_at: dt.datetime = Field(index=True)
    subject: str | None = Field(default=None, index=True, max_length=255)
    role: str | None = Field(default=None, max_length=20)
    state: str | None = Field(default=None, max_length=3)
    method: str | None = Field(default=None, max_length=10)
    path: str | None = Field(default=None, max_length=PATH_MAX_LENGTH)
    request_id: str | None = Field(default=None, max_length=200)
    status_code: int | None = None
    event_type: str | None = Field(default=None, max_length=200)
    event_id: str | None = Field(default=None, max_length=64)
    event_subject: str | None = Field(default=None, max_length=200)
    event_time: dt.datetime | None = None
    previous_sha256: str = Field(unique=True, max_length=64)
    sha256: str = Field(unique=True, max_length=64)
