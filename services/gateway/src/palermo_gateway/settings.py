from typing import ClassVar, Literal

from palermo_shared.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    """Service addresses, and the limits of the proxy and the event stream."""

    service_name: ClassVar[str] = "gateway"

    draw_url: str = "http://127.0.0.1:8001"
    questionnaire_url: str = "http://127.0.0.1:8002"
    review_url: str = "http://127.0.0.1:8003"
    notify_url: str = "http://127.0.0.1:8004"
    upstream_timeout_seconds: float = 30.0
    # aiohttp's connection handling serves about three times the requests per
    # second of httpx's default transport on two cores; bench/gateway.py
    # measures both.
    upstream_transport: Literal["aiohttp", "httpx"] = "aiohttp"
    upstream_max_connections: int = 200
    event_history_size: int = 50_000
    event_heartbeat_seconds: float = 15.0

    def service_urls(self) -> dict[str, str]:
        return {
            "draw": self.draw_url,
            "questionnaire": self.questionnaire_url,
            "review": self.review_url,
            "notify": self.notify_url,
        }
