"""Messages back to back over one SMTP connection: one round trip per message.

With RFC 2920 PIPELINING a message's content may open a group of commands, so
each write carries the previous message's content and end-of-data dot
together with this message's MAIL, RCPT and DATA; then the four replies are
read together. Sending 100,000 digests to a nearby relay is bound by these
round trips, not by the bytes.

``open_pipeline`` returns a pipeline for a transport: ``submit`` hands over one
message and returns the outcomes known so far (the previous message's, and
this one's when it was refused); ``finish`` ends the last message. An outcome
is ``(key, None)`` when accepted, else ``(key, error)``. A message whose end
was not acknowledged when the connection broke counts as a temporary failure
(it may have been delivered: the same rule as a drop in the middle of DATA).
Without PIPELINING (or for the file outbox) each message is sent at once.
"""

from __future__ import annotations

import contextlib
import smtplib
from typing import Protocol

from app.mailer.addresses import envelope_address
from app.mailer.errors import PermanentDeliveryError, TemporaryDeliveryError, UnsendableAddress
from app.mailer.pieces import dot_stuffed
from app.mailer.transports import FileTransport, SMTPTransport, classify

DeliveryError = TemporaryDeliveryError | PermanentDeliveryError
Outcome = tuple[int, DeliveryError | None]


class MessageContent(Protocol):
    """A message as stored (``data``) and as DATA content, dot-stuffed (``smtp_data``)."""

    @property
    def data(self) -> bytes: ...

    @property
    def smtp_data(self) -> bytes: ...


Content = bytes | MessageContent


class MessagePipeline(Protocol):
    def submit(self, key: int, sender: str, recipient: str, data: Content) -> list[Outcome]: ...

    def finish(self) -> list[Outcome]: ...


def open_pipeline(transport: FileTransport | SMTPTransport) -> MessagePipeline:
    """A pipeline over ``transport`` (never raises: connection errors become outcomes)."""
    if isinstance(transport, SMTPTransport):
        try:
            if transport.ready_connection().has_extn("pipelining"):
                return _Pipelined(transport)
        except TemporaryDeliveryError:
            pass  # each message will report it
    return _OneByOne(transport)


class _OneByOne:
    def __init__(self, transport: FileTransport | SMTPTransport) -> None:
        self._transport = transport

    def submit(self, key: int, sender: str, recipient: str, data: Content) -> list[Outcome]:
        try:
            self._transport.send_raw(
                sender, recipient, data if isinstance(data, bytes) else data.data
            )
        except (TemporaryDeliveryError, PermanentDeliveryError) as error:
            return [(key, error)]
        return [(key, None)]

    def finish(self) -> list[Outcome]:
        return []


class _Pipelined:
    def __init__(self, transport: SMTPTransport) -> None:
        self._transport = transport
        # The message whose content goes out with the next write: (key, content + dot).
        self._content: tuple[int, bytes] | None = None

    def submit(self, key: int, sender: str, recipient: str, data: Content) -> list[Outcome]:
        outcomes: list[Outcome] = []
        try:
            # No idle probe while the previous message's content is owed (we may have
            # waited, e.g. out a database outage, with the server in DATA).
            connection = self._transport.ready_connection(probe=self._content is None)
        except TemporaryDeliveryError as error:
            previous, self._content = self._content, None
            return [*([(previous[0], error)] if previous else []), (key, error)]
        try:
            smtputf8 = connection.has_extn("smtputf8")
            mail_from = envelope_address(sender, smtputf8=smtputf8)
            rcpt_to = envelope_address(recipient, smtputf8=smtputf8)
        except UnsendableAddress as error:
            return [(key, error)]  # nothing written: the previous message waits as it was
        previous, self._content = self._content, None
        utf8 = b"" if mail_from.isascii() and rcpt_to.isascii() else b" SMTPUTF8"
        commands = b"MAIL FROM:<%s>%s\r\nRCPT TO:<%s>\r\nDATA\r\n" % (
            mail_from.encode(),
            utf8,
            rcpt_to.encode(),
        )
        try:
            connection.send(previous[1] + commands if previous else commands)
            if previous is not None:
                outcomes.append((previous[0], self._end_of_data(connection)))
                previous = None
            mail, rcpt, data_reply = (connection.getreply() for _ in range(3))
        except (OSError, smtplib.SMTPException) as error:
            self._transport.drop()
            lost = TemporaryDeliveryError(f"connection lost while sending: {error}")
            return [*outcomes, *([(previous[0], lost)] if previous else []), (key, lost)]
        finally:
            self._transport.touched()
        refused = _refusal(mail, rcpt, data_reply)
        if refused is None:
            self._content = (key, _stuffed(data))
            return outcomes
        if refused.code == 421 or data_reply[0] == 354:
            # 421: the server is closing; 354 without a recipient: never send it content.
            self._transport.drop()
        else:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                connection.rset()
        return [*outcomes, (key, refused)]

    def finish(self) -> list[Outcome]:
        previous, self._content = self._content, None
        if previous is None:
            return []
        try:
            connection = self._transport.ready_connection(probe=False)
            connection.send(previous[1])
            return [(previous[0], self._end_of_data(connection))]
        except (OSError, smtplib.SMTPException, TemporaryDeliveryError) as error:
            self._transport.drop()
            return [
                (previous[0], TemporaryDeliveryError(f"connection lost while sending: {error}"))
            ]
        finally:
            self._transport.touched()

    def _end_of_data(self, connection: smtplib.SMTP) -> DeliveryError | None:
        code, reply = connection.getreply()
        if code == 250:
            return None
        if code == 421:
            raise smtplib.SMTPServerDisconnected(reply.decode("utf-8", "replace"))
        return classify(code, reply)


def _refusal(
    mail: tuple[int, bytes], rcpt: tuple[int, bytes], data: tuple[int, bytes]
) -> DeliveryError | None:
    """Why a message was refused before its content, or None when DATA may go ahead."""
    if mail[0] != 250:
        return classify(*mail)
    if rcpt[0] not in (250, 251):
        return classify(*rcpt)
    if data[0] != 354:
        return classify(*data)
    return None


def _stuffed(data: Content) -> bytes:
    """Message content dot-stuffed (RFC 5321 4.5.2) and ended with the lone dot."""
    body = dot_stuffed(data) if isinstance(data, bytes) else data.smtp_data
    return body + (b".\r\n" if body.endswith(b"\r\n") else b"\r\n.\r\n")
