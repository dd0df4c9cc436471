"""Addresses as SMTP and mail headers accept them (RFC 5321, 6531, 6532).

Subscribers' addresses are stored as they typed them (Unicode allowed). On the
way out the domain is converted to its IDNA A-label (``bücher.de`` becomes
``xn--bcher-kva.de``), which every server accepts; a local part that is not
ASCII (``用户@``) can only travel with SMTPUTF8, so without that extension the
message fails alone with ``UnsendableAddress``, a sentence saying why, and the
rest of the send goes on.
"""

from __future__ import annotations

import idna

from app.mailer.errors import UnsendableAddress


def ascii_domain_address(address: str) -> str:
    """``address`` with its domain in IDNA form (raises ``UnsendableAddress``)."""
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise UnsendableAddress(f"{address!r} is not an address")
    if any(ch in address for ch in "\r\n<>,\x00") or any(ord(ch) < 32 for ch in address):
        raise UnsendableAddress(f"{address!r} contains characters no mail header may carry")
    if domain.isascii():
        return address
    try:
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError as error:
        raise UnsendableAddress(f"the domain of {address!r} is not valid: {error}") from error
    return f"{local}@{ascii_domain}"


def needs_smtputf8(address: str) -> bool:
    """True when even the IDNA form of ``address`` is not ASCII (its local part is not)."""
    return not address.isascii()


def envelope_address(address: str, *, smtputf8: bool) -> str:
    """The address for MAIL FROM / RCPT TO, given whether the server offers SMTPUTF8."""
    prepared = ascii_domain_address(address)
    if needs_smtputf8(prepared) and not smtputf8:
        raise UnsendableAddress(
            f"{address} has a non-ASCII local part and the mail server does not offer "
            "SMTPUTF8, so it cannot be delivered through this server"
        )
    return prepared
