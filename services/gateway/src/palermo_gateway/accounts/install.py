"""Wiring of the accounts and the audit log into the gateway app."""

from fastapi import FastAPI

from palermo_gateway.accounts.access import AccessPolicy
from palermo_gateway.accounts.guard import AccountGuard
from palermo_gateway.settings import GatewaySettings
from palermo_shared.service import ServiceRuntime


def access_policy(settings: GatewaySettings) -> AccessPolicy:
    return AccessPolicy(
        local_mode=not settings.auth_jwks_url,
        bootstrap_subjects=frozenset(settings.accounts_bootstrap_subjects),
        local_identities=settings.accounts_local_identities,
    )


def install_account_guard(
    app: FastAPI, runtime: ServiceRuntime, settings: GatewaySettings
) -> None:
    """Add the account check; call before the authentication middleware is added,
    so that it runs after authentication."""
    app.add_middleware(AccountGuard, runtime=runtime, policy=access_policy(settings))
