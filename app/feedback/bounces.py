"""Bounce messages (RFC 3464 delivery status notifications) delivered to a maildir.

Point the bounce address's mailbox at a maildir and run
``paperboy bounces process MAILDIR`` (e.g. from cron): each new message is
parsed; a recipient with ``Action: failed`` and a 5.x.x status is a hard bounce
and is suppressed (with the delivery found by the original Message-ID, when
the report includes the original headers); 4.x.x / delayed reports are only
counted. Processed messages are moved to ``cur/`` after the transaction commits.
"""

from __future__ import annotations

import email
import email.policy
import mailbox
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import on_commit
from app.models import Delivery, SuppressionReason
from app.subscriptions.suppression import Suppress, suppress_addresses


@dataclass(frozen=True)
class BouncedRecipient:
    email: str
    status: str
    action: str
    diagnostic: str

    @property
    def hard(self) -> bool:
        return self.action.lower() == "failed" and self.status.startswith("5")


@dataclass(frozen=True)
class DeliveryReport:
    recipients: list[BouncedRecipient]
    original_message_id: str | None


@dataclass
class MaildirReport:
    messages: int = 0
    hard: int = 0
    soft: int = 0
    unrecognised: int = 0
    processed: list[str] = field(default_factory=list)


def parse_dsn(raw: bytes) -> DeliveryReport | None:
    """The recipients and original Message-ID of a DSN, or None if ``raw`` is not one."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    if message.get_content_type() != "multipart/report":
        return None
    recipients: list[BouncedRecipient] = []
    original: str | None = None
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/delivery-status":
            blocks = part.get_payload()
            for block in blocks if isinstance(blocks, list) else []:
                if not isinstance(block, Message):
                    continue
                recipient = _recipient(block)
                if recipient is not None:
                    recipients.append(recipient)
        elif content_type in ("message/rfc822", "text/rfc822-headers") and original is None:
            original = _original_message_id(part)
    if not recipients:
        return None
    return DeliveryReport(recipients, original)


def _recipient(block: Message) -> BouncedRecipient | None:
    final = block.get("Final-Recipient") or block.get("Original-Recipient")
    if not final:
        return None
    address = final.split(";", 1)[-1].strip().strip("<>")
    return BouncedRecipient(
        email=address.lower(),
        status=(block.get("Status") or "").strip(),
        action=(block.get("Action") or "").strip(),
        diagnostic=" ".join((block.get("Diagnostic-Code") or "").split()),
    )


def _original_message_id(part: Message) -> str | None:
    if part.get_content_type() == "message/rfc822":
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if isinstance(inner, Message):
            value = inner.get("Message-ID")
            return str(value).strip() if value else None
        return None
    text = part.get_payload(decode=True)
    if not isinstance(text, bytes):
        return None
    headers = email.message_from_bytes(text, policy=email.policy.compat32)
    value = headers.get("Message-ID")
    return str(value).strip() if value else None


def process_maildir(session: Session, path: Path) -> MaildirReport:
    """Suppress the hard bounces reported by the new messages in the maildir at ``path``."""
    box = mailbox.Maildir(str(path), factory=None, create=False)
    report = MaildirReport()
    entries: list[Suppress] = []
    for key in list(box.iterkeys()):
        if box.get_message(key).get_subdir() != "new":
            continue
        report.messages += 1
        report.processed.append(key)
        dsn = parse_dsn(box.get_bytes(key))
        if dsn is None:
            report.unrecognised += 1
            continue
        delivery_id = None
        if dsn.original_message_id:
            delivery_id = session.scalar(
                select(Delivery.id).where(Delivery.message_id == dsn.original_message_id)
            )
        for recipient in dsn.recipients:
            if recipient.hard:
                report.hard += 1
                detail = f"{recipient.status} {recipient.diagnostic}".strip()
                entries.append(
                    Suppress(recipient.email, SuppressionReason.HARD_BOUNCE, detail, delivery_id)
                )
            else:
                report.soft += 1
    suppress_addresses(session, entries)

    def _mark_seen() -> None:
        for key in report.processed:
            message = box.get_message(key)
            message.set_subdir("cur")
            message.add_flag("S")
            box[key] = message

    on_commit(session, _mark_seen)
    return report
