"""E-mail addresses: their stored form and the form sent over SMTP."""

import pytest

from palermo_shared.email_address import normalized_email, smtp_address


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("zoe@例え.jp", "zoe@例え.jp"),
        ("Zoe@XN--R8JZ45G.jp", "zoe@例え.jp"),
        ("ANA@Gov.Example.BR", "ana@gov.example.br"),
        ("jose\u0301@exa\u0308mple.org", "jos\u00e9@ex\u00e4mple.org"),
        ("  ana@example.org\t", "ana@example.org"),
    ],
)
def test_address_stored_in_one_form(written: str, stored: str) -> None:
    assert normalized_email(written) == stored


@pytest.mark.parametrize("address", ["zoe@例え", "zoe@例え..jp", "a b@example.org"])
def test_malformed_address_rejected(address: str) -> None:
    with pytest.raises(ValueError, match=f"invalid e-mail address {address!r}: "):
        normalized_email(address)


@pytest.mark.parametrize(
    ("stored", "sent"),
    [
        ("zoe@例え.jp", "zoe@xn--r8jz45g.jp"),
        ("josé@exämple.org", "josé@exämple.org"),
        ("ana@example.org", "ana@example.org"),
        ("ana@palermo.local", "ana@palermo.local"),
    ],
)
def test_smtp_address_ascii_when_possible(stored: str, sent: str) -> None:
    assert smtp_address(stored) == sent
