"""The confirmation mail's To header is RFC-valid for international addresses.

Before, ``用户@example.org`` went out as ``To: =?utf-8?b?55So5oi3?=@example.org`` and
``user@bücher.de`` as ``To: user@=?utf-8?q?b=C3=BCcher?=.de``: encoded words are not
allowed inside an address, so no client or relay reads them as the reader's address.
Now the domain goes as IDNA and a UTF-8 local part as UTF-8 (RFC 6532, sent with SMTPUTF8).
"""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from app.mailer.addresses import ascii_domain_address, needs_smtputf8
from app.mailer.transports import FileTransport
from app.models import Frequency, Subscriber
from app.subscriptions.confirmation import compose_confirmation
from tests.factories import make_test_settings


def subscriber(email: str) -> Subscriber:
    return Subscriber(
        id=1,
        email=email,
        token_version=0,
        interests="",
        topics=[],
        frequency=Frequency.DAILY,
        weekly_day=0,
        send_hour=7,
        timezone="UTC",
    )


@pytest.mark.parametrize(
    ("email", "header", "smtputf8"),
    [
        ("reader@example.org", "reader@example.org", False),
        ("user@bücher.de", "user@xn--bcher-kva.de", False),
        ("用户@example.org", "用户@example.org", True),
        ("😀@example.org", "😀@example.org", True),
        ("用户@bücher.de", "用户@xn--bcher-kva.de", True),
    ],
)
def test_the_to_header_is_the_address_never_encoded_words(
    tmp_path: Path, email: str, header: str, smtputf8: bool
) -> None:
    message = compose_confirmation(subscriber(email), settings=make_test_settings(tmp_path))
    FileTransport(tmp_path / "outbox").send(message)
    (sent,) = (tmp_path / "outbox").glob("*.eml")
    data = sent.read_bytes()

    to_line = next(line for line in data.splitlines() if line.startswith(b"To:"))
    assert to_line.decode("utf-8") == f"To: {header}"
    assert b"=?" not in to_line
    assert needs_smtputf8(ascii_domain_address(email)) is smtputf8
    head = data.split(b"\n\n", 1)[0]
    assert head.isascii() is not smtputf8
    parsed = BytesParser(policy=policy.SMTPUTF8).parsebytes(data)
    assert str(parsed["To"]) == header
