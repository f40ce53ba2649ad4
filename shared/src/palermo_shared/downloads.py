"""Names of the files that services store, and the Content-Disposition
header they send them back with."""

import urllib.parse

from palermo_shared.errors import InvalidInput

FILENAME_MAX_LENGTH = 255


def check_filename(filename: str) -> None:
    """Raise `InvalidInput` unless `filename` is a file's name without a path."""
    if not filename.strip() or len(filename) > FILENAME_MAX_LENGTH:
        raise InvalidInput(
            f"filename must have 1 to {FILENAME_MAX_LENGTH} characters",
            field="filename",
        )
    if any(c in filename for c in "/\\\0") or filename in {".", ".."}:
        raise InvalidInput(
            "filename must not contain a path; give the file's name only",
            field="filename",
        )


def attachment_disposition(filename: str) -> str:
    """Return a Content-Disposition value that names `filename` (RFC 6266).

    The name goes in `filename*` as percent-encoded UTF-8 (RFC 8187), because
    Starlette encodes header values as Latin-1, which cannot carry a name
    written in Arabic, Chinese or Russian. Quotes, semicolons and backslashes
    are encoded too, so no name can end the value or add a parameter.
    """
    return f"attachment; filename*=UTF-8''{urllib.parse.quote(filename, safe='')}"
