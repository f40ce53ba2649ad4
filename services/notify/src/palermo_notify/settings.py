from typing import ClassVar

from pydantic import Field

from palermo_shared.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    service_name: ClassVar[str] = "notify"

    webhook_timeout_seconds: float = Field(
        default=5.0, gt=0, description="Time limit of one webhook request, in seconds"
    )
    webhook_max_attempts: int = Field(
        default=5, ge=1, description="Attempts before a webhook notification fails"
    )
    webhook_allowed_hosts: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "localhost"],
        description=(
            "Host names that webhook URLs may point to, so that subscriptions "
            "cannot make the service reach other internal addresses"
        ),
    )
    webhook_retry_base_seconds: float = Field(
        default=0.5, gt=0, description="Delay before the first retry, in seconds"
    )
    webhook_retry_max_seconds: float = Field(
        default=300.0, gt=0, description="Cap of the delay between retries, in seconds"
    )
    webhook_batch_size: int = Field(
        default=50, ge=1, description="Webhook notifications sent concurrently"
    )
    webhook_poll_interval_seconds: float = Field(
        default=0.5, gt=0, description="Pause between polls when nothing is due"
    )
