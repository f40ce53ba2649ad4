"""Webhook signatures, checked by a real receiver and by the reference check."""

import hashlib
import hmac
import json
import time

from palermo_notify.domain.signing import sign, signature_problem

SECRET = "subscription-secret"
BODY = b'{"notification_id":"n-1"}'


def _receiver_accepts(secret, headers, raw_body, tolerance=300):
    """Verify a request as a receiver would, with the standard library only."""
    timestamp = headers["palermo-timestamp"]
    signed = timestamp.encode() + b"." + raw_body
    expected = "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(timestamp)) <= tolerance
    return fresh and hmac.compare_digest(expected, headers["palermo-signature"])


async def test_receiver_verifies_signature(service, events, receiver):
    response = await service.client.post(
        "/subscriptions", json={"state": "FRA", "url": receiver.url("/ok")}
    )
    assert response.status_code == 201
    secret = response.json()["secret"]
    envelope = await service.publish(events.lots_drawn())

    await service.wait_for_notifications(
        1, event_id=envelope.id, channel="webhook", status="delivered"
    )

    [request] = receiver.received("/ok")
    assert request.headers["content-type"] == "application/json"
    assert _receiver_accepts(secret, request.headers, request.raw_body)
    assert not _receiver_accepts("another-secret", request.headers, request.raw_body)
    assert json.loads(request.raw_body) == request.body


async def test_subscriptions_have_own_secrets(service, receiver):
    secrets = []
    for state in ("FRA", "BRA"):
        response = await service.client.post(
            "/subscriptions", json={"state": state, "url": receiver.url("/ok")}
        )
        assert response.status_code == 201
        secrets.append(response.json()["secret"])

    listed = await service.client.get("/subscriptions")

    assert secrets[0] != secrets[1]
    assert all("secret" not in s for s in listed.json())


def test_signature_accepted():
    now = 1_700_000_000
    signature = sign(SECRET, now, BODY)

    problem = signature_problem(
        SECRET,
        timestamp=str(now),
        signature=signature,
        body=BODY,
        now=now + 10,
        tolerance_seconds=300,
    )

    assert problem is None


def test_replay_rejected():
    sent_at = 1_700_000_000
    signature = sign(SECRET, sent_at, BODY)

    problem = signature_problem(
        SECRET,
        timestamp=str(sent_at),
        signature=signature,
        body=BODY,
        now=sent_at + 301,
        tolerance_seconds=300,
    )

    assert problem == "timestamp 1700000000 is outside the 300 s tolerance"


def test_tampered_body_rejected():
    now = 1_700_000_000
    signature = sign(SECRET, now, BODY)

    problem = signature_problem(
        SECRET,
        timestamp=str(now),
        signature=signature,
        body=BODY.replace(b"n-1", b"n-2"),
        now=now,
        tolerance_seconds=300,
    )

    assert problem == "signature does not match"


def test_moved_timestamp_rejected():
    now = 1_700_000_000
    signature = sign(SECRET, now - 1000, BODY)

    problem = signature_problem(
        SECRET,
        timestamp=str(now),
        signature=signature,
        body=BODY,
        now=now,
        tolerance_seconds=300,
    )

    assert problem == "signature does not match"


def test_bad_timestamp_rejected():
    problem = signature_problem(
        SECRET,
        timestamp="yesterday",
        signature="v1=00",
        body=BODY,
        now=0,
        tolerance_seconds=300,
    )

    assert problem == "invalid timestamp 'yesterday'"
