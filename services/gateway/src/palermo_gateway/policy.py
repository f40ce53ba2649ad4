"""The route policy table: the roles that may call each gateway route.

The gateway's check is coarse, by role only. Each service checks the token
again and applies the rules of one State's data (for example that only the
reviewing States of a desk review record its observations).

A request is matched against `ROUTE_POLICIES` in order, by method and path
under `/api/v1`; the first match names the roles allowed. A request that
matches no entry is:

- allowed for the Secretariat, focal points and experts when it only reads
  (GET or HEAD), so a new read route of a service works without an entry;
- denied to observers when it only reads, because observers read only the
  routes listed for them;
- denied to every role when it writes, until the table lists it. When the
  table lists its path for other methods only (`lists_other_methods_only`)
  and the path does not serve the method either, the access middleware
  responds with 405 and the methods the path serves.

A method that no route serves passes the table, and the access middleware
rejects it with 405, or with 404 when no route serves the path.

On top of the table, a focal point or expert may only write the
questionnaire responses of its own State: the `{state}` segment of
`/questionnaire/phases/{phase_id}/responses/{state}/...` must be the State
its token names. Reads of another State's response are forwarded, because
the questionnaire service lets the reviewing States of that response read
it once the lots are drawn, and refuses everyone else.
"""

import re
from dataclasses import dataclass, field

from palermo_shared.allow import method_not_allowed_message
from palermo_shared.auth import STATE_ROLES, Principal, Role
from palermo_shared.errors import DomainError, Forbidden

API_PREFIX = "/api/v1"
READ_METHODS = frozenset({"GET", "HEAD"})
# The methods the gateway's routes serve. No route serves another method,
# such as OPTIONS outside a CORS preflight or TRACE, so the router rejects
# it with 405 and the methods the path allows, whatever the caller's role.
ROUTED_METHODS = READ_METHODS | {"POST", "PUT", "PATCH", "DELETE"}

EVERYONE = frozenset(Role)
SECRETARIAT = frozenset({Role.SECRETARIAT})
PARTICIPANTS = frozenset({Role.SECRETARIAT, Role.FOCAL_POINT, Role.EXPERT})
STATE_ADMINISTRATORS = frozenset({Role.SECRETARIAT, Role.FOCAL_POINT})

# Paths served without a token: health probes (the gateway's and, through
# it, each service's), the API descriptions and the public dashboard page.
PUBLIC_PATHS = (
    re.compile(r"/healthz/.*"),
    re.compile(r"/api/v1/[a-z]+/healthz/.*"),
    re.compile(r"/api/v1/(asyncapi|openapi)\.json"),
    re.compile(r"/dashboard(/.*)?"),
    # Activation is how a person without an account gets one.
    re.compile(r"/api/v1/accounts/activations"),
)

_STATE_RESPONSE_PATH = re.compile(
    r"/questionnaire/phases/[^/]+/responses/(?P<state>[^/]+)(/.*)?"
)


class MethodNotAllowed(DomainError):
    status_code = 405
    code = "method_not_allowed"

    def __init__(self, method: str, path: str, *, allowed: list[str]) -> None:
        message = method_not_allowed_message(method, path, allowed)
        super().__init__(message, allowed=allowed)
        self.allowed = allowed


@dataclass(frozen=True)
class RoutePolicy:
    """The roles allowed to call `methods` on paths matching `template`.

    `template` is a path under `/api/v1` in which `{name}` matches one
    path segment.
    """

    methods: frozenset[str]
    template: str
    roles: frozenset[Role]
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = re.split(r"\{[a-z_0-9]+\}", self.template)
        regex = "[^/]+".join(re.escape(part) for part in parts)
        object.__setattr__(self, "pattern", re.compile(regex))

    def matches(self, method: str, path: str) -> bool:
        return method in self.methods and self.pattern.fullmatch(path) is not None


def _read(template: str, roles: frozenset[Role]) -> RoutePolicy:
    return RoutePolicy(READ_METHODS, template, roles)


def _write(method: str, template: str, roles: frozenset[Role]) -> RoutePolicy:
    return RoutePolicy(frozenset({method}), template, roles)


_PHASE = "/draw/phases/{phase_id}"
_REVIEW = "/review/reviews/{review_id}"
_RESPONSE = "/questionnaire/phases/{phase_id}/responses/{state}/{instrument}/{cluster}"

ROUTE_POLICIES: tuple[RoutePolicy, ...] = (
    # The gateway's own routes. The stream filters its events by role.
    _read("/events", EVERYONE),
    # Counts of every type, those the stream hides from a caller included.
    _read("/events/counts", SECRETARIAT),
    _read("/dashboard", SECRETARIAT),
    # Draw: the registry, phases, meetings and draws are public records.
    _read("/draw/states", EVERYONE),
    _read("/draw/states/{iso3}", EVERYONE),
    _read("/draw/registry-changes", EVERYONE),
    _read(_PHASE, EVERYONE),
    _read(f"{_PHASE}/meetings", EVERYONE),
    _read(f"{_PHASE}/seed-commitment", EVERYONE),
    _read(f"{_PHASE}/draw", EVERYONE),
    _read(f"{_PHASE}/draw/record", EVERYONE),
    _read(f"{_PHASE}/draw/verification", EVERYONE),
    _read(f"{_PHASE}/redraws", EVERYONE),
    _read("/draw/cohorts/{cohort_draw_id}", EVERYONE),
    _write("POST", "/draw/phases", SECRETARIAT),
    _write("POST", f"{_PHASE}/meetings", SECRETARIAT),
    _write("POST", f"{_PHASE}/seed-commitment", SECRETARIAT),
    _write("POST", f"{_PHASE}/draw", SECRETARIAT),
    _write("POST", f"{_PHASE}/redraws", SECRETARIAT),
    _write("POST", "/draw/cohorts", SECRETARIAT),
    _write("PUT", "/draw/states/{iso3}", SECRETARIAT),
    _write("POST", "/draw/states/import", SECRETARIAT),
    # Verifying a draw recomputes it and stores nothing.
    _write("POST", "/draw/verifications", PARTICIPANTS),
    # Questionnaire: the blank questionnaires are public, the responses not.
    _read(
        "/questionnaire/phases/{phase_id}/questionnaires/{instrument}/{cluster}",
        EVERYONE,
    ),
    _read("/questionnaire/phases/{phase_id}/overview", SECRETARIAT),
    # Only the State's own focal points and experts write its response; the
    # questionnaire service rejects the Secretariat too.
    _write("PUT", _RESPONSE, STATE_ROLES),
    _write("POST", f"{_RESPONSE}/submit", STATE_ROLES),
    _write("POST", f"{_RESPONSE}/contributions", STATE_ROLES),
    _write("POST", f"{_RESPONSE}/attachments", STATE_ROLES),
    # Review: the Secretariat names focal points and runs the deadlines; the
    # States' roles in one review are checked by the service.
    _read(f"{_REVIEW}/published", EVERYONE),
    _write("PUT", "/review/phases/{phase_id}/focal-points", SECRETARIAT),
    _write("PUT", f"{_REVIEW}/focal-points/{{state}}", SECRETARIAT),
    _write("POST", f"{_REVIEW}/extensions", SECRETARIAT),
    _write("POST", "/review/deadlines/check", SECRETARIAT),
    _write("POST", "/review/experts", STATE_ADMINISTRATORS),
    _write("DELETE", f"{_REVIEW}/experts/{{expert_id}}", STATE_ADMINISTRATORS),
    _write("POST", f"{_REVIEW}/observations", PARTICIPANTS),
    _write("POST", f"{_REVIEW}/complete", PARTICIPANTS),
    _write("POST", f"{_REVIEW}/agreement", PARTICIPANTS),
    _write("POST", f"{_REVIEW}/agreement/clearance", PARTICIPANTS),
    _write("POST", f"{_REVIEW}/reopen", PARTICIPANTS),
    _write("PUT", f"{_REVIEW}/comments", PARTICIPANTS),
    _write("POST", f"{_REVIEW}/comments/clearance", PARTICIPANTS),
    _write("POST", f"{_REVIEW}/comments/waiver", PARTICIPANTS),
    _write("PUT", f"{_REVIEW}/summary", PARTICIPANTS),
    _write("PUT", f"{_REVIEW}/summary/translations/{{language}}", PARTICIPANTS),
    _write("PUT", f"{_REVIEW}/publication", PARTICIPANTS),
    _write("POST", f"{_REVIEW}/requests", PARTICIPANTS),
    _write("POST", f"{_REVIEW}/requests/{{request_id}}/messages", PARTICIPANTS),
    _write(
        "POST",
        f"{_REVIEW}/requests/{{request_id}}/messages/{{message_id}}/attachments",
        PARTICIPANTS,
    ),
    _write("POST", f"{_REVIEW}/meetings", PARTICIPANTS),
    # Notify: contacts and subscriptions are administered by the Secretariat.
    _read("/notify/rules", EVERYONE),
    _write("POST", "/notify/contacts", SECRETARIAT),
    _write("PATCH", "/notify/contacts/{contact_id}", SECRETARIAT),
    _write("POST", "/notify/contacts/{contact_id}/deactivate", SECRETARIAT),
    _write("POST", "/notify/subscriptions", SECRETARIAT),
    _write("DELETE", "/notify/subscriptions/{subscription_id}", SECRETARIAT),
    _write("POST", "/notify/notifications/{notification_id}/resend", SECRETARIAT),
    # Accounts and the audit log: the Secretariat registers and reads; each
    # caller reads its own account.
    _read("/accounts/me", EVERYONE),
    _read("/accounts", SECRETARIAT),
    _read("/accounts/{account_id}", SECRETARIAT),
    _write("POST", "/accounts", SECRETARIAT),
    _write("POST", "/accounts/{account_id}/end", SECRETARIAT),
    _read("/audit", SECRETARIAT),
)


def is_public(path: str) -> bool:
    """Return whether `path` is served without a token."""
    if not path.startswith(API_PREFIX) and not path.startswith("/healthz/"):
        return True
    return any(pattern.fullmatch(path) for pattern in PUBLIC_PATHS)


def allowed_roles(method: str, api_path: str) -> frozenset[Role]:
    """Return the roles that may call `method` on `api_path` (under /api/v1)."""
    for policy in ROUTE_POLICIES:
        if policy.matches(method, api_path):
            return policy.roles
    if method in READ_METHODS:
        return PARTICIPANTS
    return frozenset()


def authorize(principal: Principal, method: str, path: str) -> None:
    """Raise `Forbidden` unless `principal` may call `method` on `path`."""
    if method not in ROUTED_METHODS:
        return
    api_path = path.removeprefix(API_PREFIX)
    if principal.role not in allowed_roles(method, api_path):
        raise Forbidden(
            f"role {principal.role.value} may not {method} {path}",
            role=principal.role.value,
        )
    if method not in READ_METHODS:
        _check_own_state(principal, api_path)


def lists_other_methods_only(method: str, path: str) -> bool:
    """Return whether the table lists `path` for methods other than `method` only.

    No role may make a write that the table does not list. For such a
    write, the methods the path serves tell the caller more than a 403 for
    its role would.
    """
    if method in READ_METHODS:
        return False
    api_path = path.removeprefix(API_PREFIX)
    listed = [policy for policy in ROUTE_POLICIES if policy.pattern.fullmatch(api_path)]
    return bool(listed) and not any(method in policy.methods for policy in listed)


def _check_own_state(principal: Principal, api_path: str) -> None:
    match = _STATE_RESPONSE_PATH.fullmatch(api_path)
    if match is None or principal.is_secretariat:
        return
    # Compared in upper case, so that the caller's own State written in lower
    # case gets the questionnaire service's 422 naming the expected form.
    state = match.group("state").upper()
    if principal.state != state:
        raise Forbidden(
            f"{principal.role.with_article()} of {principal.state} may not write the "
            f"questionnaire responses of {state}",
            field="state",
        )
