"""Rules for webhook URLs, retry delays and request bodies, without I/O."""

from collections.abc import Collection
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ALLOWED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
JITTER_SHARE = 0.25


def webhook_url_problem(url: str, allowed_hosts: Collection[str]) -> str | None:
    """Return why `url` may not receive webhooks, or None when it may.

    The message names the allowed hosts, for the Secretariat that subscribes.
    `send_problem` returns the message for a notification's delivery log.
    """
    # httpx rejects such a URL at each send, so a notification to it would
    # stay pending for good. Line breaks could also forge request headers.
    unsafe = [char for char in url if ord(char) <= 0x20 or ord(char) == 0x7F]
    if unsafe:
        return (
            f"invalid URL {url!r}: it contains {unsafe[0]!r}; percent-encode "
            "spaces and control characters"
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on an invalid port
    except ValueError as error:
        return f"invalid URL {url!r}: {error}"

    if parts.scheme not in ALLOWED_SCHEMES:
        return (
            f"URL {url!r} has scheme {parts.scheme!r}; use one of "
            f"{', '.join(ALLOWED_SCHEMES)}"
        )
    if not parts.hostname:
        return f"URL {url!r} has no host name"
    if parts.port == 0:
        return f"URL {url!r} has port 0, on which no server listens; give its real port"
    if parts.username is not None or parts.password is not None:
        return f"URL for host {parts.hostname!r} contains credentials; remove them"
    if parts.hostname not in {host.lower() for host in allowed_hosts}:
        return (
            f"host {parts.hostname!r} is not allowed to receive webhooks; "
            f"allowed hosts: {', '.join(sorted(allowed_hosts))}"
        )
    return None


def send_problem(url: str, allowed_hosts: Collection[str]) -> str | None:
    """Return why a stored subscription's `url` may no longer receive webhooks.

    The recipient State's focal points and experts read the delivery log,
    and the allowed hosts may be other States' receivers, so the message
    names the URL's host but not the hosts allowed.
    """
    problem = webhook_url_problem(url, allowed_hosts)
    if problem is None:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        # Not a URL at all: the problem names the URL, the State's own.
        return problem
    if host and host not in {allowed.lower() for allowed in allowed_hosts}:
        return (
            f"host {host!r} is no longer allowed to receive webhooks; ask the "
            "Secretariat to subscribe a URL on an allowed host"
        )
    return problem


def normalized_webhook_url(url: str) -> str:
    """Return the form of a valid webhook URL that is stored and compared.

    The scheme and host are lower-cased, and a default port, an empty query
    and the fragment are dropped, so that two spellings of one receiver's
    URL compare equal. An empty path becomes "/". The path keeps its case,
    because servers may tell "/Hook" from "/hook".
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        # `hostname` drops the brackets around an IPv6 address.
        host = f"[{host}]"
    if parts.port is not None and parts.port != DEFAULT_PORTS[parts.scheme]:
        host = f"{host}:{parts.port}"

    # The fragment is dropped even when not empty, because an HTTP request
    # does not carry it.
    return urlunsplit((parts.scheme, host, parts.path or "/", parts.query, ""))


def retry_delay(
    attempts: int, *, base: float, cap: float, jitter: float = 0.0
) -> float:
    """Return the seconds to wait after `attempts` failed attempts (from 1).

    The delay doubles with each attempt up to `cap`, and `jitter` (from 0 to
    1, drawn by the caller) adds up to a quarter of it, so that receivers
    that failed together are not all retried at the same instant.
    """
    exponent: int = max(attempts - 1, 0)
    delay = min(cap, base * 2.0**exponent)
    return delay * (1 + JITTER_SHARE * jitter)


def webhook_body(
    *,
    notification_id: str,
    event_id: str,
    event_type: str,
    subject: str,
    recipient_state: str,
    notification_url: str,
) -> dict[str, Any]:
    """Build the JSON body of a webhook request.

    The body names the event and links to the notification at the gateway.
    It never copies the event's data, which the receiver fetches with its
    own credentials.
    """
    return {
        "notification_id": notification_id,
        "event_id": event_id,
        "event_type": event_type,
        "subject": subject,
        "recipient_state": recipient_state,
        "links": {"notification": notification_url},
    }
