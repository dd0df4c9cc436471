"""A real SMTP server for tests (aiosmtpd on a free port) that keeps what it receives.

Faults can be injected per recipient: a 4xx reply N times, a 5xx reply, or a
dropped connection in the middle of DATA.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class ReceivedMessage:
    mail_from: str
    recipients: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Faults:
    temporary: dict[str, int] = field(default_factory=dict)  # address -> remaining 4xx replies
    permanent: set[str] = field(default_factory=set)  # addresses answered 550
    drop_during_data: dict[str, int] = field(default_factory=dict)  # address -> remaining drops
    data_delay_seconds: float = 0.0  # a slow server: wait this long before answering DATA
    pipelining: bool = True  # advertise RFC 2920 PIPELINING (as Postfix and Mailpit do)


class _Handler:
    def __init__(self) -> None:
        self.messages: list[ReceivedMessage] = []
        self.faults = Faults()
        self.lock = threading.Lock()

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        # aiosmtpd reads commands one by one, so pipelined commands just work.
        session.host_name = hostname
        if self.faults.pipelining:
            return [*responses[:-1], "250-PIPELINING", responses[-1]]
        return responses

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        with self.lock:
            if address in self.faults.permanent:
                return "550 5.1.1 No such user here"
            remaining = self.faults.temporary.get(address, 0)
            if remaining > 0:
                self.faults.temporary[address] = remaining - 1
                return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.faults.data_delay_seconds:
            await asyncio.sleep(self.faults.data_delay_seconds)
        with self.lock:
            for address in envelope.rcpt_tos:
                remaining = self.faults.drop_during_data.get(address, 0)
                if remaining > 0:
                    self.faults.drop_during_data[address] = remaining - 1
                    assert server.transport is not None
                    server.transport.close()
                    return "421 4.4.2 Connection dropped"
            raw = envelope.content if isinstance(envelope.content, bytes) else b""
            self.messages.append(
                ReceivedMessage(str(envelope.mail_from), list(envelope.rcpt_tos), raw)
            )
        return "250 Message accepted"


class SMTPTestServer:
    """Start with ``with SMTPTestServer() as server:``; ``server.port`` is free and real."""

    def __init__(self, *, smtputf8: bool = False) -> None:
        # Without ``smtputf8`` the server does not offer SMTPUTF8, as many relays do not.
        self.handler = _Handler()
        self.port = _free_port()
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=smtputf8
        )

    @property
    def messages(self) -> list[ReceivedMessage]:
        with self.handler.lock:
            return list(self.handler.messages)

    @property
    def faults(self) -> Faults:
        return self.handler.faults

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def messages_to(self, address: str) -> list[ReceivedMessage]:
        return [m for m in self.messages if address in m.recipients]

    def __enter__(self) -> SMTPTestServer:
        self.controller.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.controller.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def running_smtp_server(*, smtputf8: bool = False) -> Iterator[SMTPTestServer]:
    with SMTPTestServer(smtputf8=smtputf8) as server:
        yield server
