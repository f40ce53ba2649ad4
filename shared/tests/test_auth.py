"""Bearer tokens: issued with the local key, or checked against a JWKS URL
served by a real loopback HTTP server."""

import asyncio
import datetime as dt
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from palermo_shared.auth import (
    JwksKeySource,
    LocalIssuer,
    LocalKeySource,
    Principal,
    Role,
    TokenVerifier,
    issue_token,
    load_or_create_signing_key,
)
from palermo_shared.errors import Unauthorized

ISSUER = "palermo"
AUDIENCE = "palermo"


@pytest.fixture
def key(tmp_path: Path) -> Ed25519PrivateKey:
    return load_or_create_signing_key(tmp_path / "signing-key.pem")


@pytest.fixture
def verifier(key: Ed25519PrivateKey) -> TokenVerifier:
    return TokenVerifier(LocalKeySource(key), issuer=ISSUER, audience=AUDIENCE)


def _token(key: Ed25519PrivateKey, **overrides: object) -> str:
    fields: dict[str, object] = {
        "subject": "ana@example.org",
        "role": Role.FOCAL_POINT,
        "state": "ITA",
        "issuer": ISSUER,
        "audience": AUDIENCE,
    }
    fields.update(overrides)
    return issue_token(key, **fields)  # type: ignore[arg-type]


async def test_local_token_names_role_and_state(
    key: Ed25519PrivateKey, verifier: TokenVerifier
) -> None:
    principal = await verifier.verify(_token(key))

    assert principal == Principal("ana@example.org", Role.FOCAL_POINT, "ITA")


async def test_expired_token_is_refused(
    key: Ed25519PrivateKey, verifier: TokenVerifier
) -> None:
    token = _token(key, lifetime=dt.timedelta(seconds=-1))

    with pytest.raises(Unauthorized, match="expired"):
        await verifier.verify(token)


async def test_other_audience_is_refused(
    key: Ed25519PrivateKey, verifier: TokenVerifier
) -> None:
    with pytest.raises(Unauthorized, match="Audience"):
        await verifier.verify(_token(key, audience="someone-else"))


async def test_token_of_another_key_is_refused(verifier: TokenVerifier) -> None:
    stranger = Ed25519PrivateKey.generate()

    with pytest.raises(Unauthorized, match="not valid"):
        await verifier.verify(_token(stranger))


async def test_expert_without_state_is_refused(
    key: Ed25519PrivateKey, verifier: TokenVerifier
) -> None:
    token = jwt.encode(
        {
            "sub": "x",
            "role": "expert",
            "iss": ISSUER,
            "aud": AUDIENCE,
            "exp": dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5),
        },
        key,
        algorithm="EdDSA",
    )

    with pytest.raises(Unauthorized, match="must name a State"):
        await verifier.verify(token)


@pytest.mark.parametrize("state", ["ita", "IT", "ITAL", "IT1"])
def test_state_not_upper_case_code_refused(key: Ed25519PrivateKey, state: str) -> None:
    with pytest.raises(Unauthorized, match="not an ISO 3166-1 alpha-3 code"):
        _token(key, role=Role.EXPERT, state=state)


@pytest.mark.parametrize("state", ["ZZZ", "ATL"])
def test_state_outside_registry_rejected(key: Ed25519PrivateKey, state: str) -> None:
    with pytest.raises(Unauthorized, match="is not a State in the registry"):
        _token(key, role=Role.FOCAL_POINT, state=state)


def test_issuing_checks_the_claims(key: Ed25519PrivateKey) -> None:
    with pytest.raises(Unauthorized, match="names no State"):
        _token(key, role=Role.SECRETARIAT, state="ITA")


def test_signing_key_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "signing-key.pem"
    first = load_or_create_signing_key(path)

    second = load_or_create_signing_key(path)

    assert first.public_key() == second.public_key()


def test_signing_key_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "signing-key.pem"

    load_or_create_signing_key(path)

    assert path.stat().st_mode & 0o077 == 0


class _JwksServer:
    """JWKS document server on 127.0.0.1 that counts the fetches."""

    def __init__(self) -> None:
        self.document: dict[str, object] = {"keys": []}
        self.fetches = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.fetches += 1
                body = json.dumps(outer.document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/certs"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def publish(self, kid: str, key: Ed25519PrivateKey) -> None:
        jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key()))
        self.document = {"keys": [{**jwk, "kid": kid, "alg": "EdDSA", "use": "sig"}]}


@pytest.fixture
def jwks() -> Iterator[_JwksServer]:
    server = _JwksServer()
    yield server
    server.server.shutdown()
    server.server.server_close()


def _provider_token(key: Ed25519PrivateKey, kid: str) -> str:
    claims = {
        "sub": "secretariat-1",
        "role": "secretariat",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "exp": dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5),
    }
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid})


async def test_jwks_token_is_verified(jwks: _JwksServer) -> None:
    key = Ed25519PrivateKey.generate()
    jwks.publish("k1", key)
    verifier = TokenVerifier(JwksKeySource(jwks.url), issuer=ISSUER, audience=AUDIENCE)

    principal = await verifier.verify(_provider_token(key, "k1"))

    assert principal.role is Role.SECRETARIAT


async def test_rotated_key_is_fetched(jwks: _JwksServer) -> None:
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    jwks.publish("k1", old)
    source = JwksKeySource(jwks.url, min_refresh_seconds=0.0)
    verifier = TokenVerifier(source, issuer=ISSUER, audience=AUDIENCE)
    await verifier.verify(_provider_token(old, "k1"))
    jwks.publish("k2", new)

    principal = await verifier.verify(_provider_token(new, "k2"))

    assert principal.subject == "secretariat-1"


async def test_unknown_key_ids_refresh_once(jwks: _JwksServer) -> None:
    key = Ed25519PrivateKey.generate()
    jwks.publish("k1", key)
    verifier = TokenVerifier(JwksKeySource(jwks.url), issuer=ISSUER, audience=AUDIENCE)
    await verifier.verify(_provider_token(key, "k1"))

    for _ in range(5):
        with pytest.raises(Unauthorized, match="not in the key set"):
            await verifier.verify(_provider_token(key, "forged"))

    assert jwks.fetches == 1


async def test_unreachable_jwks_is_refused(unused_port: int) -> None:
    source = JwksKeySource(f"http://127.0.0.1:{unused_port}/certs")
    verifier = TokenVerifier(source, issuer=ISSUER, audience=AUDIENCE)

    with pytest.raises(Unauthorized, match="cannot be fetched"):
        await verifier.verify(_provider_token(Ed25519PrivateKey.generate(), "k1"))


def test_concurrent_creators_share_one_key(tmp_path: Path) -> None:
    path = tmp_path / "signing-key.pem"
    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = list(pool.map(lambda _: load_or_create_signing_key(path), range(8)))

    public_keys = {key.public_key().public_bytes_raw() for key in keys}

    assert len(public_keys) == 1


async def test_local_issuer_signs_for_each_role(
    key: Ed25519PrivateKey, verifier: TokenVerifier
) -> None:
    issuer = LocalIssuer(key, issuer=ISSUER, audience=AUDIENCE)

    principal = await verifier.verify(issuer.token(Role.EXPERT, "BRA"))

    assert principal.acts_for("BRA")


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("expert-esp@palermo.local", (Role.EXPERT, "ESP")),
        ("Focal_Point-ITA@palermo.local", (Role.FOCAL_POINT, "ITA")),
        ("secretariat-un@palermo.local", (Role.SECRETARIAT, None)),
        ("observer-un@palermo.local", (Role.OBSERVER, None)),
        # No token can name these: a State role needs a State, and others none.
        ("expert-un@palermo.local", None),
        ("observer-ita@palermo.local", None),
        ("judge-ita@palermo.local", None),
        ("expert-esp@palermo.local.example", None),
        ("ana@example.org", None),
    ],
)
def test_local_identity_parsed(subject: str, expected: object) -> None:
    assert LocalIssuer.identity(subject) == expected


@pytest.mark.parametrize("role", list(Role))
def test_local_identity_round_trip(role: Role) -> None:
    state = "BRA" if role in (Role.FOCAL_POINT, Role.EXPERT) else None

    assert LocalIssuer.identity(LocalIssuer.subject(role, state)) == (role, state)


class CountingKeySource(LocalKeySource):
    """The local key source, counting the signature checks it serves."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        super().__init__(private_key)
        self.lookups = 0

    async def key_for(self, token: str) -> object:
        self.lookups += 1
        return await super().key_for(token)


async def test_accepted_token_checked_once(key: Ed25519PrivateKey) -> None:
    keys = CountingKeySource(key)
    verifier = TokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE)
    token = _token(key)

    first = await verifier.verify(token)
    second = await verifier.verify(token)

    assert first == second
    assert keys.lookups == 1


async def test_cached_token_still_expires(key: Ed25519PrivateKey) -> None:
    verifier = TokenVerifier(LocalKeySource(key), issuer=ISSUER, audience=AUDIENCE)
    token = _token(key, lifetime=dt.timedelta(seconds=1))
    await verifier.verify(token)

    await asyncio.sleep(1.2)

    with pytest.raises(Unauthorized, match="expired"):
        await verifier.verify(token)


async def test_rejected_token_not_cached(key: Ed25519PrivateKey) -> None:
    keys = CountingKeySource(key)
    verifier = TokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE)
    token = _token(key, audience="another-audience")

    for _ in range(2):
        with pytest.raises(Unauthorized):
            await verifier.verify(token)

    assert keys.lookups == 2


async def test_token_cache_is_bounded(key: Ed25519PrivateKey) -> None:
    keys = CountingKeySource(key)
    verifier = TokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE, cache_size=2)
    tokens = [_token(key, subject=f"user-{number}@example.org") for number in range(3)]
    for token in tokens:
        await verifier.verify(token)

    await verifier.verify(tokens[2])
    assert keys.lookups == 3
    await verifier.verify(tokens[0])
    assert keys.lookups == 4


async def test_token_cache_time_is_bounded(key: Ed25519PrivateKey) -> None:
    keys = CountingKeySource(key)
    verifier = TokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE, cache_seconds=0)
    token = _token(key)

    await verifier.verify(token)
    await verifier.verify(token)

    assert keys.lookups == 2
