from typing import ClassVar, Literal

from pydantic import Field

from palermo_shared.settings import ServiceSettings, WebAddress


class GatewaySettings(ServiceSettings):
    """Service addresses, and the limits of the proxy and the event stream."""

    service_name: ClassVar[str] = "gateway"

    draw_url: WebAddress = "http://127.0.0.1:8001"
    questionnaire_url: WebAddress = "http://127.0.0.1:8002"
    review_url: WebAddress = "http://127.0.0.1:8003"
    notify_url: WebAddress = "http://127.0.0.1:8004"
    upstream_timeout_seconds: float = Field(default=30.0, gt=0)
    # aiohttp's connection handling serves about three times the requests per
    # second of httpx's default transport on two cores; bench/gateway.py
    # measures both.
    upstream_transport: Literal["aiohttp", "httpx"] = "aiohttp"
    upstream_max_connections: int = Field(default=200, ge=1)
    event_history_size: int = Field(default=50_000, ge=1)
    event_heartbeat_seconds: float = Field(default=15.0, gt=0)
    # Requests per second each client may sustain, and how many it may send
    # at once after a pause. A client is a token's subject, or its address.
    rate_limit_per_second: float = Field(default=50.0, gt=0)
    rate_limit_burst: int = Field(default=200, ge=1)
    max_request_body_bytes: int = Field(default=10 * 1024 * 1024, ge=0)
    # Origins whose browser pages may call the API; none by default.
    cors_allowed_origins: list[str] = Field(default_factory=list)

    # Accounts: how long an invitation lasts, where its link points ("{code}"
    # is replaced by the code; after "#" the code never reaches a server log),
    # and how long a token issued at activation lasts in local mode.
    invitation_lifetime_days: float = Field(default=10.0, gt=0)
    activation_url: WebAddress = Field(
        default="http://127.0.0.1:8000/activate#code={code}", pattern=r"\{code\}"
    )
    account_token_hours: float = Field(default=8.0, gt=0)
    # Secretariat token subjects accepted without an account with an OIDC
    # provider, and whether local mode accepts the development identities.
    accounts_bootstrap_subjects: list[str] = Field(default_factory=list)
    accounts_local_identities: bool = True

    def service_urls(self) -> dict[str, str]:
        return {
            "draw": self.draw_url,
            "questionnaire": self.questionnaire_url,
            "review": self.review_url,
            "notify": self.notify_url,
        }
