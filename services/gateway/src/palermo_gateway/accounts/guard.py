"""ASGI middleware that checks state-changing requests against the accounts.

Requests without a token, or with one that does not verify, pass on: the
route or the service behind the gateway rejects them with 401. A verified
caller is stored on the request state, where the audit middleware and the
routes find it. A refusal has the body of every other error.
"""

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from palermo_gateway.accounts.access import AccessPolicy, check_write_access
from palermo_gateway.audit.middleware import STATE_CHANGING_METHODS
from palermo_gateway.errors import error_response
from palermo_shared.auth import Principal, current_principal
from palermo_shared.errors import DomainError, Unauthorized
from palermo_shared.service import ServiceRuntime

# Activation is how a person without an account gets one.
UNCHECKED_PATHS = frozenset({"/api/v1/accounts/activations"})


class AccountGuard:
    def __init__(
        self, app: ASGIApp, runtime: ServiceRuntime, policy: AccessPolicy
    ) -> None:
        self.app = app
        self._runtime = runtime
        self._policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _checked(scope):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        principal = await _verified_caller(request)
        if principal is not None:
            try:
                async with self._runtime.session() as session:
                    await check_write_access(session, principal, self._policy)
            except DomainError as error:
                response = await error_response(scope, error)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _checked(scope: Scope) -> bool:
    return (
        scope["type"] == "http"
        and scope["method"] in STATE_CHANGING_METHODS
        and scope["path"] not in UNCHECKED_PATHS
    )


async def _verified_caller(request: Request) -> Principal | None:
    try:
        return await current_principal(request)
    except Unauthorized:
        return None
