"""HMAC-SHA256 signatures of webhook requests.

The signed text is the Unix timestamp in seconds, a full stop and the exact
request body. Receivers recompute the signature with their subscription's
secret, compare in constant time and reject timestamps older than their
tolerance, so a captured request cannot be replayed later.
"""

import hashlib
import hmac

TIMESTAMP_HEADER = "Palermo-Timestamp"
SIGNATURE_HEADER = "Palermo-Signature"
SIGNATURE_SCHEME = "v1"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Return the signature header value, `v1=` and the hexadecimal HMAC."""
    signed = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_SCHEME}={digest}"


def signature_problem(
    secret: str,
    *,
    timestamp: str,
    signature: str,
    body: bytes,
    now: float,
    tolerance_seconds: float,
) -> str | None:
    """Return why a received webhook must be rejected, or None to accept it."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return f"invalid timestamp {timestamp!r}"
    if abs(now - sent_at) > tolerance_seconds:
        return f"timestamp {sent_at} is outside the {tolerance_seconds:g} s tolerance"
    if not hmac.compare_digest(sign(secret, sent_at, body), signature):
        return "signature does not match"
    return None
