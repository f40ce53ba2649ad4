"""Routes of the directory: focal points and experts of each State."""

from typing import Annotated

from fastapi import APIRouter, Depends, status

from palermo_notify import contacts
from palermo_notify.api.schemas import ContactCreate, ContactPublic, ContactUpdate
from palermo_notify.contacts import ContactFields, contact_channels
from palermo_notify.domain.contacts import ContactRole
from palermo_notify.tables import Contact
from palermo_shared.auth import SECRETARIAT_ONLY
from palermo_shared.filters import StateFilter
from palermo_shared.service import ServiceRuntime, runtime_of

router = APIRouter(
    prefix="/contacts", tags=["contacts"], dependencies=[SECRETARIAT_ONLY]
)
Runtime = Annotated[ServiceRuntime, Depends(runtime_of)]


def _contact_public(contact: Contact) -> ContactPublic:
    return ContactPublic.model_validate(
        {**contact.model_dump(), "channels": contact_channels(contact)}
    )


@router.post("", response_model=ContactPublic, status_code=status.HTTP_201_CREATED)
async def create_contact(body: ContactCreate, runtime: Runtime) -> ContactPublic:
    async with runtime.transaction() as session:
        contact = await contacts.create_contact(
            session, ContactFields(**body.model_dump())
        )
    return _contact_public(contact)


@router.get("", response_model=list[ContactPublic])
async def list_contacts(
    runtime: Runtime,
    state: StateFilter = None,
    role: ContactRole | None = None,
    active: bool | None = None,
) -> list[ContactPublic]:
    async with runtime.session() as session:
        found = await contacts.list_contacts(
            session, state=state, role=role, active=active
        )
    return [_contact_public(contact) for contact in found]


@router.get("/{contact_id}", response_model=ContactPublic)
async def get_contact(contact_id: str, runtime: Runtime) -> ContactPublic:
    async with runtime.session() as session:
        contact = await contacts.get_contact(session, contact_id)
    return _contact_public(contact)


@router.patch("/{contact_id}", response_model=ContactPublic)
async def update_contact(
    contact_id: str, body: ContactUpdate, runtime: Runtime
) -> ContactPublic:
    fields = ContactFields(**body.model_dump(exclude_unset=True))
    async with runtime.transaction() as session:
        contact = await contacts.update_contact(session, contact_id, fields)
    return _contact_public(contact)


@router.post("/{contact_id}/deactivate", response_model=ContactPublic)
async def deactivate_contact(contact_id: str, runtime: Runtime) -> ContactPublic:
    """Stop notifying a contact; pending e-mails to them are failed."""
    async with runtime.transaction() as session:
        contact = await contacts.deactivate_contact(session, contact_id)
    return _contact_public(contact)
