"""The Content-Disposition header of a file that a service sends back."""

import urllib.parse


def attachment_disposition(filename: str) -> str:
    """Return a Content-Disposition value that names `filename` (RFC 6266).

    The name goes in `filename*` as percent-encoded UTF-8 (RFC 8187), because
    Starlette encodes header values as Latin-1, which cannot carry a name
    written in Arabic, Chinese or Russian. Quotes, semicolons and backslashes
    are encoded too, so no name can end the value or add a parameter.
    """
    return f"attachment; filename*=UTF-8''{urllib.parse.quote(filename, safe='')}"
