"""Tokens signed with a data folder's local key, for any subject and lifetime."""

import datetime as dt
from pathlib import Path

from palermo_shared.auth import Role, issue_token, load_or_create_signing_key


def local_token(
    data_dir: Path,
    subject: str,
    role: Role,
    state: str | None = None,
    *,
    lifetime: dt.timedelta = dt.timedelta(hours=8),
) -> dict[str, str]:
    """Return an Authorization header with a token, as `palermo token` issues."""
    token = issue_token(
        load_or_create_signing_key(data_dir / "signing-key.pem"),
        subject=subject,
        role=role,
        state=state,
        issuer="palermo",
        audience="palermo",
        lifetime=lifetime,
    )
    return {"Authorization": f"Bearer {token}"}
