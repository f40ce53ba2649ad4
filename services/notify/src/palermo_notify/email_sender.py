"""E-mail over SMTP with aiosmtplib, one connection per message.

Replies with a 5xx code are permanent failures and dead-letter the message
at once. Other errors (4xx replies, refused connections, timeouts) are
retried.

An internationalized domain name is sent in its ASCII form (IDNA), which
every server accepts. An address whose local part is outside ASCII needs a
server that offers SMTPUTF8 (RFC 6531); aiosmtplib then asks for it.
"""

import datetime as dt
import email.utils
import re
from email.message import EmailMessage

import aiosmtplib

from palermo_notify.domain.notifications import Channel
from palermo_notify.sending import RetryPolicy, SendFailure
from palermo_notify.settings import NotifySettings
from palermo_notify.tables import Notification
from palermo_shared.email_address import smtp_address

# Stands for the recipient's address in a server's reply kept in the log.
ADDRESS_WITHHELD = "[address withheld]"


class EmailSender:
    channel = Channel.EMAIL

    def __init__(self, settings: NotifySettings) -> None:
        self._settings = settings
        self.timeout = settings.smtp_timeout_seconds
        self.policy = RetryPolicy(
            max_attempts=settings.email_max_attempts,
            base_seconds=settings.email_retry_base_seconds,
            max_seconds=settings.email_retry_max_seconds,
        )

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def send(self, notification: Notification) -> SendFailure | None:
        settings = self._settings
        password = settings.smtp_password
        try:
            await aiosmtplib.send(
                build_message(notification, sender=settings.smtp_sender),
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                start_tls=settings.smtp_starttls,
                username=settings.smtp_username,
                password=password.get_secret_value() if password else None,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            [refused, *_] = error.recipients
            reply = _without_address(refused.message, notification.address)
            return _reply_failure("rejected the recipient", refused.code, reply)
        except aiosmtplib.SMTPResponseException as error:
            reply = _without_address(error.message, notification.address)
            return _reply_failure("rejected the message", error.code, reply)
        except (aiosmtplib.SMTPException, OSError) as error:
            return SendFailure(f"SMTP delivery failed: {type(error).__name__}: {error}")
        return None


def build_message(notification: Notification, *, sender: str) -> EmailMessage:
    """Build the e-mail; its Message-ID lets mailboxes drop a repeated send."""
    assert notification.address is not None
    _, _, sender_domain = sender.rpartition("@")
    message = EmailMessage()
    # Content first, because setting it clears the Content-* headers.
    message.set_content(notification.message_body or "")
    message["From"] = sender
    message["To"] = smtp_address(notification.address)
    message["Subject"] = notification.message_subject or ""
    created_at = notification.created_at
    if created_at.tzinfo is None:
        # SQLite returns the stored UTC times without their offset.
        created_at = created_at.replace(tzinfo=dt.UTC)
    message["Date"] = email.utils.format_datetime(created_at)
    message["Message-ID"] = f"<{notification.id}@{sender_domain or 'palermo'}>"
    message["Content-Language"] = notification.language or "en"
    message["Auto-Submitted"] = "auto-generated"
    return message


def _without_address(reply: str, address: str | None) -> str:
    """Return the server's reply text without the recipient's address.

    Servers often quote the recipient ("<ana@example.org>: Recipient address
    rejected"), and the reply is kept in the delivery log, which the
    recipient State's focal points and experts read although they do not
    read its contacts' addresses.
    """
    if not address:
        return reply
    for form in {address, smtp_address(address)}:
        pattern = re.compile(re.escape(form), re.IGNORECASE)
        reply = pattern.sub(ADDRESS_WITHHELD, reply)
    return reply


def _reply_failure(rejection: str, code: int, text: str) -> SendFailure:
    return SendFailure(
        f"SMTP server {rejection}: {code} {text}", permanent=500 <= code < 600
    )
