"""HTTP schemas of the audit log."""

import datetime as dt
from typing import Literal

from pydantic import BaseModel


class AuditEntryOut(BaseModel):
    sequence: int
    kind: Literal["request", "event"]
    recorded_at: dt.datetime
    subject: str | None
    role: str | None
    state: str | None
    method: str | None
    path: str | None
    request_id: str | None
    status_code: int | None
    event_type: str | None
    event_id: str | None
    event_subject: str | None
    event_time: dt.datetime | None
    previous_sha256: str
    sha256: str


class AuditPage(BaseModel):
    entries: list[AuditEntryOut]
    # Pass as `after` to read the next page; None on the last page.
    next_after: int | None
