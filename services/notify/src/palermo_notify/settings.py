from typing import ClassVar

from pydantic import Field, SecretStr, field_validator

from palermo_notify.domain.contacts import Language
from palermo_shared.email_address import EmailAddress
from palermo_shared.settings import ServiceSettings, WebAddress


class NotifySettings(ServiceSettings):
    service_name: ClassVar[str] = "notify"

    public_base_url: WebAddress = Field(
        default="http://127.0.0.1:8000",
        description="Base URL of the gateway, used in links sent to recipients",
    )

    webhook_timeout_seconds: float = Field(
        default=5.0, gt=0, description="Time limit of one webhook request, in seconds"
    )
    webhook_max_attempts: int = Field(
        default=5,
        ge=1,
        description="Attempts before a webhook notification is dead-lettered",
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
        default=50, ge=1, description="Notifications sent concurrently"
    )
    webhook_poll_interval_seconds: float = Field(
        default=0.5, gt=0, description="Pause between polls when nothing is due"
    )

    smtp_host: str = Field(default="127.0.0.1", description="SMTP server host")
    smtp_port: int = Field(default=25, ge=1, le=65535, description="SMTP port")
    smtp_sender: str = Field(
        default="palermo@localhost", description="From address of e-mails"
    )
    smtp_starttls: bool = Field(
        default=False, description="Upgrade the connection with STARTTLS"
    )
    smtp_username: str | None = Field(default=None, description="SMTP user name")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password")
    smtp_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Time limit of one SMTP delivery, in seconds"
    )
    email_max_attempts: int = Field(
        default=5, ge=1, description="Attempts before an e-mail is dead-lettered"
    )
    email_retry_base_seconds: float = Field(
        default=5.0, gt=0, description="Delay before the first e-mail retry, seconds"
    )
    email_retry_max_seconds: float = Field(
        default=900.0, gt=0, description="Cap of the delay between e-mail retries"
    )
    secretariat_emails: list[EmailAddress] = Field(
        default_factory=list,
        description="E-mail addresses notified of the steps the rules name",
    )
    secretariat_language: Language = Field(
        default=Language.ENGLISH, description="Language of e-mails to the Secretariat"
    )

    @field_validator("smtp_sender")
    @classmethod
    def sender_address(cls, address: str) -> str:
        # Not an EmailAddress, because the default's domain, localhost, is
        # reserved. SMTP servers may reject every e-mail from a malformed sender.
        local_part, at_sign, domain = address.rpartition("@")
        printable = address.isprintable() and not any(c.isspace() for c in address)
        if not (at_sign and local_part and domain and printable):
            raise ValueError(
                f"invalid e-mail address {address!r}; expected name@domain "
                "without spaces, such as palermo@un.example.org"
            )
        return address
