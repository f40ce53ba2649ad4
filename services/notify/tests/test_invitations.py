"""Invitations: the activation link e-mailed to the one address registered."""

import datetime as dt

import pytest

from palermo_notify.domain.rules import plan_recipients
from palermo_notify.messages import render_message
from palermo_shared.contracts import AccountInvited
from palermo_shared.events import new_event

ADDRESS = "ana@gov.example.it"
LINK = "https://palermo.example.org/activate#code=s3cr3t-code"


def invitation(language: str = "en") -> AccountInvited:
    return AccountInvited(
        account_id="account-1",
        invitation_id="invitation-1",
        name="Ana Rossi",
        email=ADDRESS,
        role="focal_point",
        state="ITA",
        language=language,
        activation_url=LINK,
        expires_at=dt.datetime(2026, 3, 11, 12, 0, tzinfo=dt.UTC),
    )


def test_invitation_goes_to_its_address() -> None:
    recipients = plan_recipients(AccountInvited.event_type, invitation())

    assert recipients.addresses == (ADDRESS,)
    assert recipients.states == ()
    assert recipients.secretariat is False


@pytest.mark.parametrize("language", ["ar", "en", "es", "fr", "ru", "zh"])
def test_invitation_template_carries_link(language: str) -> None:
    facts = {
        "name": "Ana Rossi",
        "role": "focal point",
        "state": "ITA",
        "occurred_at": dt.datetime(2026, 3, 11, tzinfo=dt.UTC),
    }

    message = render_message(
        "account_invited", language, facts, {"activation_url": LINK}
    )

    assert message.language == language
    assert LINK in message.body
    assert "Ana Rossi" in message.body
    assert "2026" in message.body


async def test_invitation_emailed_in_its_language(mail_service, mailbox) -> None:
    envelope = new_event(
        invitation("fr"), source="/palermo/test", subject="invitation/invitation-1"
    )

    await mail_service.deliver(envelope)

    [item] = await mail_service.wait_for_notifications(
        1, event_id=envelope.id, status="delivered"
    )
    [message] = mailbox.to(ADDRESS)
    assert message["Subject"] == "Palermo : activez votre compte"
    assert LINK in message.get_content()
    assert "11 mars 2026" in message.get_content()
    assert item["channel"] == "email"
    assert item["recipient_state"] is None


async def test_invitation_reaches_no_state(mail_service, mailbox) -> None:
    envelope = new_event(
        invitation(), source="/palermo/test", subject="invitation/invitation-1"
    )

    await mail_service.deliver(envelope)
    await mail_service.wait_for_notifications(1, event_id=envelope.id)

    found = await mail_service.notifications(event_id=envelope.id)
    assert [item["channel"] for item in found] == ["email"]
    assert await mail_service.notifications(state="ITA") == []


async def test_redelivered_invitation_emailed_once(mail_service, mailbox) -> None:
    envelope = new_event(
        invitation(), source="/palermo/test", subject="invitation/invitation-1"
    )

    await mail_service.deliver(envelope)
    await mail_service.deliver(envelope)
    await mail_service.wait_for_notifications(
        1, event_id=envelope.id, status="delivered"
    )
    later = new_event(
        invitation(), source="/palermo/test", subject="invitation/invitation-2"
    )
    await mail_service.deliver(later)
    await mail_service.wait_for_notifications(1, event_id=later.id, status="delivered")

    assert len(mailbox.to(ADDRESS)) == 2
    assert len(await mail_service.notifications(event_id=envelope.id)) == 1
