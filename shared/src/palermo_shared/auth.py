"""Caller authentication: bearer JWTs, their roles and the State they act for.

Every request carries an OAuth2 bearer token. Its claims name the caller
(`sub`), the role (`role`) and, for focal points and experts, the State
(`state`, an ISO 3166-1 alpha-3 code). The keys that sign tokens come from
one of two places:

- a JWKS URL published by an OIDC provider such as Keycloak, fetched over
  HTTP and refreshed when a token names a key id not yet seen;
- a local Ed25519 key file, created on first use, for the embedded default
  and development. `palermo token` issues tokens signed with it.

The gateway checks the token before it forwards a request, and each service
checks it again, so a service reached past the gateway trusts nothing.
"""

import datetime as dt
import logging
import os
import re
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Protocol

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import Depends, Request

from palermo_shared.errors import Forbidden, Unauthorized
from palermo_shared.reference.states import load_states

logger = logging.getLogger(__name__)

LOCAL_ALGORITHM = "EdDSA"
JWKS_ALGORITHMS = ("RS256", "ES256", "EdDSA")
JWKS_REFRESH_SECONDS = 300.0


class Role(StrEnum):
    SECRETARIAT = "secretariat"
    FOCAL_POINT = "focal_point"
    EXPERT = "expert"
    OBSERVER = "observer"

    def with_article(self) -> str:
        """Return the role's name for messages, as in "an expert"."""
        name = self.value.replace("_", " ")
        return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


STATE_ROLES = frozenset({Role.FOCAL_POINT, Role.EXPERT})


@dataclass(frozen=True)
class Principal:
    """The verified caller of one request."""

    subject: str
    role: Role
    state: str | None = None
    # When the token stops being valid, in seconds since the epoch. A
    # request is checked once, but a stream lasts and must end then.
    expires_at: float | None = field(default=None, compare=False)

    @property
    def is_secretariat(self) -> bool:
        return self.role is Role.SECRETARIAT

    def acts_for(self, state: str) -> bool:
        """Return whether the caller is a focal point or expert of `state`."""
        return self.role in STATE_ROLES and self.state == state


_STATE_CODE = re.compile("[A-Z]{3}")

# The shortest column that stores a caller's subject has 200 characters,
# and PostgreSQL rejects a longer value or a NUL character.
SUBJECT_MAX_LENGTH = 200
_CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f]")


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """Build a principal from verified claims, or raise `Unauthorized`."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise Unauthorized("the token names no subject (claim 'sub')")
    _check_subject(subject)
    try:
        role = Role(claims.get("role", ""))
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise Unauthorized(
            f"the token's role {claims.get('role')!r} is not one of: {allowed}"
        ) from None
    state = claims.get("state")
    if role in STATE_ROLES:
        _check_state_claim(role, state)
    elif state is not None:
        raise Unauthorized(f"a token for role {role.value} names no State")
    expiry = claims.get("exp")
    expires_at = float(expiry) if isinstance(expiry, int | float) else None
    return Principal(subject=subject, role=role, state=state, expires_at=expires_at)


def _check_state_claim(role: Role, state: object) -> None:
    if not isinstance(state, str):
        raise Unauthorized(
            f"a token for role {role.value} must name a State (claim 'state')"
        )
    # The services compare codes as written, so "ita" would match ITA in
    # some checks and not in others.
    if not _STATE_CODE.fullmatch(state):
        raise Unauthorized(
            f"the token's State {state!r} is not an ISO 3166-1 alpha-3 code in "
            "upper case (claim 'state')"
        )
    # A code outside the shipped registry names no State party, and no
    # account or review can belong to it.
    if state not in load_states():
        raise Unauthorized(
            f"the token's State {state!r} is not a State in the registry "
            "(claim 'state'); expected the ISO 3166-1 alpha-3 code of a State "
            "party, such as ITA"
        )


def _check_subject(subject: str) -> None:
    if len(subject) > SUBJECT_MAX_LENGTH:
        raise Unauthorized(
            f"the token's subject has {len(subject)} characters, more than "
            f"{SUBJECT_MAX_LENGTH} (claim 'sub')"
        )
    control = _CONTROL_CHARACTER.search(subject)
    if control is not None:
        raise Unauthorized(
            f"the token's subject contains the control character "
            f"U+{ord(control.group()):04X} at position {control.start()} (claim 'sub')"
        )


class KeySource(Protocol):
    @property
    def algorithms(self) -> tuple[str, ...]: ...

    async def key_for(self, token: str) -> Any: ...


class LocalKeySource:
    """Key source backed by the public half of a local Ed25519 key."""

    algorithms = (LOCAL_ALGORITHM,)

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._public_key = private_key.public_key()

    async def key_for(self, token: str) -> Any:
        return self._public_key


class JwksKeySource:
    """Key source backed by the keys an OIDC provider publishes at a JWKS URL.

    The key set is cached. A token whose `kid` is not in the cache triggers a
    refresh, at most once per `min_refresh_seconds`, so rotated keys are picked
    up while forged key ids cannot flood the provider with requests.
    """

    algorithms = JWKS_ALGORITHMS

    def __init__(self, url: str, *, min_refresh_seconds: float = 5.0) -> None:
        self._url = url
        self._min_refresh = min_refresh_seconds
        self._keys: dict[str, Any] = {}
        self._fetched_at = float("-inf")

    async def key_for(self, token: str) -> Any:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as error:
            raise Unauthorized(f"the token is malformed: {error}") from None
        if kid not in self._keys or self._stale():
            await self._refresh()
        if kid not in self._keys:
            raise Unauthorized(f"the token's key id {kid!r} is not in the key set")
        return self._keys[kid]

    def _stale(self) -> bool:
        return time.monotonic() - self._fetched_at > JWKS_REFRESH_SECONDS

    async def _refresh(self) -> None:
        if time.monotonic() - self._fetched_at < self._min_refresh:
            return
        self._fetched_at = time.monotonic()
        try:
            async with httpx.AsyncClient(timeout=5.0) as client:
                response = await client.get(self._url)
                response.raise_for_status()
            key_set = jwt.PyJWKSet.from_dict(response.json())
        except (httpx.HTTPError, ValueError, jwt.PyJWTError) as error:
            logger.error("cannot fetch the JWKS at %s: %s", self._url, error)
            raise Unauthorized("the signing keys cannot be fetched now") from None
        self._keys = {key.key_id: key.key for key in key_set.keys if key.key_id}
        logger.info("fetched %d signing keys from %s", len(self._keys), self._url)


class TokenVerifier:
    """Verifier of a bearer token's signature, expiry, issuer and audience.

    A client sends the same token with every request until it expires, so
    the verifier keeps the principal of each token it accepted, up to
    `cache_size` tokens, and skips the signature check on the next request.
    It keeps it for `cache_seconds` at most, and never past the token's
    expiry, so that a key removed from the JWKS stops working within that
    time. Rejected tokens are not kept.
    """

    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str,
        audience: str,
        cache_size: int = 10_000,
        cache_seconds: float = 60.0,
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._cache_size = cache_size
        self._cache_seconds = cache_seconds
        self._accepted: dict[str, tuple[Principal, float]] = {}

    async def verify(self, token: str) -> Principal:
        now = time.time()
        cached = self._accepted.get(token)
        if cached is not None and now < cached[1]:
            return cached[0]

        claims = await self._decode(token)
        principal = principal_from_claims(claims)
        self._remember(token, principal, min(claims["exp"], now + self._cache_seconds))
        return principal

    async def _decode(self, token: str) -> dict[str, Any]:
        key = await self._keys.key_for(token)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=list(self._keys.algorithms),
                issuer=self._issuer,
                audience=self._audience,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("the token has expired") from None
        except jwt.PyJWTError as error:
            raise Unauthorized(f"the token is not valid: {error}") from None
        return claims

    def _remember(self, token: str, principal: Principal, until: float) -> None:
        self._accepted.pop(token, None)
        if len(self._accepted) >= self._cache_size:
            # Dicts keep insertion order: the first entry is the oldest.
            del self._accepted[next(iter(self._accepted))]
        self._accepted[token] = (principal, until)


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """Return the local signing key at `path`, creating it (mode 0600) if absent.

    Several processes of one embedded run may start at once: the key is written
    to a private temporary file and linked into place, so the first process to
    link wins and every other one reads the same key.
    """
    if not path.exists():
        _create_signing_key(path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"invalid signing key file {path}: not an Ed25519 private key")
    return key


def _create_signing_key(path: Path) -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".signing-key")
    try:
        os.write(descriptor, pem)
        os.close(descriptor)
        os.link(temporary, path)
        logger.warning("created a new local signing key at %s", path)
    except FileExistsError:
        logger.info("another process created the signing key at %s first", path)
    finally:
        os.unlink(temporary)


def issue_token(
    key: Ed25519PrivateKey,
    *,
    subject: str,
    role: Role,
    state: str | None = None,
    issuer: str,
    audience: str,
    lifetime: dt.timedelta = dt.timedelta(hours=8),
) -> str:
    """Sign a token for local use; the claims are checked as a verifier would."""
    principal_from_claims({"sub": subject, "role": role.value, "state": state})
    now = dt.datetime.now(dt.UTC)
    claims: dict[str, Any] = {
        "sub": subject,
        "role": role.value,
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + lifetime,
    }
    if state is not None:
        claims["state"] = state
    return jwt.encode(claims, key, algorithm=LOCAL_ALGORITHM)


# The development subjects that `LocalIssuer.subject` builds.
_LOCAL_SUBJECT = re.compile(r"(?P<role>[a-z_]+)-(?P<state>[a-z]{3}|un)@palermo\.local")


class LocalIssuer:
    """Issuer of tokens signed with the local key, cached per role and State.

    The embedded default, the demo and the tests use it to act as each role.
    """

    def __init__(self, key: Ed25519PrivateKey, *, issuer: str, audience: str) -> None:
        self._key = key
        self._issuer = issuer
        self._audience = audience
        self._tokens: dict[tuple[Role, str | None], str] = {}

    @classmethod
    def from_key_file(
        cls, path: Path, *, issuer: str = "palermo", audience: str = "palermo"
    ) -> "LocalIssuer":
        return cls(load_or_create_signing_key(path), issuer=issuer, audience=audience)

    @staticmethod
    def subject(role: Role, state: str | None = None) -> str:
        """Return the subject that tokens for `role` and `state` name."""
        return f"{role.value}-{state or 'un'}@palermo.local".lower()

    @staticmethod
    def identity(subject: str) -> tuple[Role, str | None] | None:
        """Return the role and State that `subject` names, if `subject()` made it.

        Subjects compare in any case, as the gateway compares them.
        """
        match = _LOCAL_SUBJECT.fullmatch(subject.lower())
        if match is None:
            return None
        try:
            role = Role(match["role"])
        except ValueError:
            return None
        state = None if match["state"] == "un" else match["state"].upper()
        if (role in STATE_ROLES) != (state is not None):
            return None
        return role, state

    def token(self, role: Role, state: str | None = None) -> str:
        """Return a token for `role` (acting for `state`), valid for a day."""
        if (role, state) not in self._tokens:
            self._tokens[role, state] = issue_token(
                self._key,
                subject=self.subject(role, state),
                role=role,
                state=state,
                issuer=self._issuer,
                audience=self._audience,
                lifetime=dt.timedelta(days=1),
            )
        return self._tokens[role, state]

    def headers(self, role: Role, state: str | None = None) -> dict[str, str]:
        """Return the Authorization header for `role` (acting for `state`)."""
        return {"Authorization": f"Bearer {self.token(role, state)}"}


def bearer_token(request: Request) -> str:
    """Return the bearer token of `request`, or raise `Unauthorized`."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send an 'Authorization: Bearer <token>' header")
    return token.strip()


async def current_principal(request: Request) -> Principal:
    """Return the verified caller of this request (a FastAPI dependency)."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    verifier: TokenVerifier = request.app.state.token_verifier
    principal = await verifier.verify(bearer_token(request))
    request.state.principal = principal
    return principal


Caller = Annotated[Principal, Depends(current_principal)]
"""Type of a route parameter that receives the verified caller."""


def require_role(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """Return a dependency that admits only callers with one of `roles`."""
    names = ", ".join(role.value for role in roles)

    async def admit(principal: Caller) -> Principal:
        if principal.role not in roles:
            raise Forbidden(
                f"this action requires the role {names}; "
                f"the token has the role {principal.role.value}"
            )
        return principal

    return admit


AUTHENTICATED = Depends(current_principal)
"""Route or router dependency: any verified caller."""

SECRETARIAT_ONLY = Depends(require_role(Role.SECRETARIAT))
"""Route dependency: only the Secretariat."""
