"""The directory of focal points and experts, per State."""

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_notify.domain.contacts import ContactRole, Language
from palermo_notify.domain.notifications import Channel, NotificationStatus
from palermo_notify.tables import Contact, Notification
from palermo_shared.clock import utcnow
from palermo_shared.errors import Conflict, InvalidInput, NotFound
from palermo_shared.ids import new_id

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ContactFields:
    """Values of a contact to create, or to change when not None.

    `state` is a code that the API schema has checked against the registry.
    `email` is in the stored form that the schema gives it
    (`palermo_shared.email_address`). Neither case nor the way its domain is
    written can then make a second contact of the same address.
    """

    name: str | None = None
    role: ContactRole | None = None
    state: str | None = None
    email: str | None = None
    language: Language | None = None
    channels: Sequence[Channel] | None = None
    active: bool | None = None


def _validated_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidInput("name is empty; give the contact's full name", field="name")
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in name):
        raise InvalidInput(
            "name contains control characters; give the contact's full name",
            field="name",
        )
    return name


def _joined_channels(channels: Collection[Channel]) -> str:
    return ",".join(sorted({channel.value for channel in channels}))


def contact_channels(contact: Contact) -> list[Channel]:
    return [Channel(name) for name in contact.channels.split(",") if name]


async def create_contact(session: AsyncSession, fields: ContactFields) -> Contact:
    """Add a contact; raise `InvalidInput` or `Conflict` and store nothing."""
    assert fields.name is not None
    assert fields.role is not None
    assert fields.state is not None
    assert fields.email is not None
    assert fields.language is not None
    contact = Contact(
        id=new_id(),
        name=_validated_name(fields.name),
        role=fields.role.value,
        state=fields.state,
        email=fields.email,
        language=fields.language.value,
        channels=_joined_channels(
            [Channel.EMAIL] if fields.channels is None else fields.channels
        ),
    )

    session.add(contact)
    await _flush_unique(session, contact)
    logger.info("contact %s created for State %s", contact.id, contact.state)
    return contact


async def update_contact(
    session: AsyncSession, contact_id: str, fields: ContactFields
) -> Contact:
    """Change the given fields of a contact; validate all before storing any."""
    contact = await get_contact(session, contact_id)
    name = _validated_name(fields.name) if fields.name is not None else None

    if name is not None:
        contact.name = name
    if fields.role is not None:
        contact.role = fields.role.value
    if fields.state is not None:
        contact.state = fields.state
    address_changed = fields.email is not None and fields.email != contact.email
    if fields.email is not None:
        contact.email = fields.email
    if fields.language is not None:
        contact.language = fields.language.value
    if fields.channels is not None:
        contact.channels = _joined_channels(fields.channels)
    contact.updated_at = utcnow()

    session.add(contact)
    await _flush_unique(session, contact)
    logger.info("contact %s updated", contact.id)
    if address_changed:
        await _readdress_pending(session, contact)
    if fields.state is not None or fields.channels is not None:
        await _fail_pending_not_due(session, contact)

    if fields.active is True and not contact.active:
        _reactivate(contact)
    if fields.active is False and contact.active:
        await _deactivate(session, contact)
    return contact


async def deactivate_contact(session: AsyncSession, contact_id: str) -> Contact:
    """Deactivate a contact and fail its e-mails still pending."""
    contact = await get_contact(session, contact_id)
    await _deactivate(session, contact)
    return contact


def _reactivate(contact: Contact) -> None:
    # E-mails failed at the deactivation stay failed, because the steps they
    # announced may be long past.
    contact.active = True
    logger.info("contact %s of State %s reactivated", contact.id, contact.state)


async def _deactivate(session: AsyncSession, contact: Contact) -> None:
    contact_id = contact.id
    contact.active = False
    contact.updated_at = utcnow()
    session.add(contact)

    result = await session.exec(
        update(Notification)
        .where(
            col(Notification.contact_id) == contact_id,
            col(Notification.status) == NotificationStatus.PENDING.value,
        )
        .values(
            status=NotificationStatus.FAILED.value,
            next_attempt_at=None,
            last_error=f"contact {contact_id} was deactivated before delivery",
        )
    )
    logger.info(
        "contact %s of State %s deactivated; %d pending e-mails failed",
        contact_id,
        contact.state,
        result.rowcount,
    )


def no_longer_emailed_reason(contact: Contact, state: str | None) -> str | None:
    """Return why the contact no longer gets e-mails of `state`, or None if it does."""
    if Channel.EMAIL not in contact_channels(contact):
        return f"contact {contact.id} no longer has the email channel"
    if contact.state != state:
        return f"contact {contact.id} was moved to State {contact.state}"
    return None


async def _fail_pending_not_due(session: AsyncSession, contact: Contact) -> None:
    """Fail the contact's pending e-mails that its new State or channels exclude.

    A contact moved to another State must not receive the e-mails that
    concern its former State.
    """
    pending = await session.exec(
        select(Notification).where(
            col(Notification.contact_id) == contact.id,
            col(Notification.status) == NotificationStatus.PENDING.value,
        )
    )
    failed = 0
    for notification in pending.all():
        reason = no_longer_emailed_reason(contact, notification.recipient_state)
        if reason is None:
            continue
        notification.status = NotificationStatus.FAILED.value
        notification.next_attempt_at = None
        notification.last_error = f"{reason} before delivery"
        session.add(notification)
        failed += 1
    if failed:
        logger.info("contact %s changed; %d pending e-mails failed", contact.id, failed)


async def _readdress_pending(session: AsyncSession, contact: Contact) -> None:
    """Set the contact's new address on its pending e-mails."""
    result = await session.exec(
        update(Notification)
        .where(
            col(Notification.contact_id) == contact.id,
            col(Notification.status) == NotificationStatus.PENDING.value,
        )
        .values(address=contact.email)
    )
    logger.info(
        "contact %s has a new address; %d pending e-mails will go to it",
        contact.id,
        result.rowcount,
    )


async def _flush_unique(session: AsyncSession, contact: Contact) -> None:
    # Read before the flush: a failed flush expires a stored contact's fields,
    # and reading them again would need the transaction it rolled back.
    state, email = contact.state, contact.email
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(
            f"State {state} already has a contact with e-mail address "
            f"{email}; list them with GET /contacts?state={state}, and "
            'reactivate a deactivated one with PATCH /contacts/{id} {"active": true}'
        ) from None


async def get_contact(session: AsyncSession, contact_id: str) -> Contact:
    contact = await session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(
            f"contact {contact_id} not found; list contacts with GET /contacts"
        )
    return contact


async def list_contacts(
    session: AsyncSession,
    *,
    state: str | None = None,
    role: ContactRole | None = None,
    active: bool | None = None,
) -> list[Contact]:
    query = select(Contact).order_by(col(Contact.state), col(Contact.created_at))
    if state is not None:
        query = query.where(col(Contact.state) == state)
    if role is not None:
        query = query.where(col(Contact.role) == role.value)
    if active is not None:
        query = query.where(col(Contact.active) == active)
    return list((await session.exec(query)).all())


async def email_contacts(session: AsyncSession, states: Sequence[str]) -> list[Contact]:
    """Return the active contacts of `states` that receive e-mail."""
    query = (
        select(Contact)
        .where(col(Contact.state).in_(states), col(Contact.active))
        .order_by(col(Contact.created_at), col(Contact.id))
    )
    contacts = (await session.exec(query)).all()
    return [c for c in contacts if Channel.EMAIL in contact_channels(c)]
