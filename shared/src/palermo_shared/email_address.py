"""E-mail addresses that requests and settings carry, in one stored form.

An address may have an internationalized domain name (`zoe@例え.jp`) and,
as RFC 6531 allows, a local part outside ASCII. The package
`email-validator` checks the syntax without any DNS lookup, so an address
is accepted whether or not its domain can be reached from here.

Annotate every e-mail address of a request body or a setting with
`EmailAddress`: it is rejected with the reason when invalid, and stored in
the form `normalized_email` returns.
"""

import logging
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, Field

from palermo_shared.text import SINGLE_LINE

logger = logging.getLogger(__name__)

# RFC 5321 limits a path to 256 octets, which leaves 254 for the address.
MAX_EMAIL_LENGTH = 254


def normalized_email(address: str) -> str:
    """Return `address` in its stored form, or raise `ValueError` saying why it
    is invalid.

    The stored form has the domain in Unicode, normalized as IDNA 2008 and
    UTS 46 do and in lower case, and the local part in Unicode NFC and in
    lower case. `Zoe@XN--R8JZ45G.jp` and `zoe@例え.jp` are then one address.
    White space around the address is dropped.
    """
    try:
        checked = validate_email(address.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(
            f"invalid e-mail address {address!r}: {error} Expected "
            "name@domain.example; the name and the domain may be in any script"
        ) from None
    return f"{checked.local_part.lower()}@{checked.domain}"


EmailAddress = Annotated[
    str,
    Field(min_length=1, max_length=MAX_EMAIL_LENGTH),
    SINGLE_LINE,
    AfterValidator(normalized_email),
]


def smtp_address(address: str) -> str:
    """Return the form of a stored address to send over SMTP.

    When the local part is ASCII, the domain is written in ASCII (IDNA), so
    any SMTP server accepts the address. Otherwise the address stays in
    Unicode, and only a server that offers SMTPUTF8 (RFC 6531) accepts it.
    """
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        # Stored under an earlier, looser check: the server decides. The
        # address itself stays out of the log.
        logger.warning("sending to a stored e-mail address that is invalid: %s", error)
        return address
    return checked.ascii_email or checked.normalized
