"""Where mail goes, chosen by ``PAPERBOY_MAIL_URL``.

- ``file:///path/to/outbox``: each message is written to ``<outbox>/<time>.<µs>-<id>.eml``
  (the embedded default, browsable in the admin).
- ``smtp://[user:pass@]host:port`` (``?starttls=1`` to upgrade) and
  ``smtps://[user:pass@]host:port`` (TLS from the first byte).

An ``SMTPTransport`` keeps one connection open and reuses it for every message
until closed; after a pause it is probed with NOOP and reopened if the server
closed it in between.
"""

from __future__ import annotations

import contextlib
import os
import smtplib
import ssl
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self
from urllib.parse import parse_qs, unquote, urlsplit

from app.mailer.addresses import envelope_address
from app.mailer.errors import PermanentDeliveryError, TemporaryDeliveryError, UnsendableAddress
from app.metrics.process import SMTP_SEND_SECONDS

# A connection unused for this long is probed with NOOP before the next message.
IDLE_CHECK_SECONDS = 5.0


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand ``message`` over, or raise a ``DeliveryError``."""

    def send_raw(self, sender: str, recipient: str, data: bytes) -> None:
        """Hand over an already serialised message (CRLF line endings), or raise."""

    def close(self) -> None:
        """Release connections."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class _ClosingContext:
    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        return None


class FileTransport(_ClosingContext):
    """Writes each message to an ``.eml`` file in ``directory`` (atomically)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, message: EmailMessage) -> None:
        self._write(message.as_bytes())

    def send_raw(self, sender: str, recipient: str, data: bytes) -> None:
        self._write(data)

    def _write(self, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        # Microseconds in the name: the outbox sorts in the order it was written
        # (two digests of one second used to sort by their random part).
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f")
        name = f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
        temporary = self.directory / f".{name}.tmp"
        temporary.write_bytes(data)
        os.replace(temporary, self.directory / name)


class SMTPTransport(_ClosingContext):
    """Sends over one reused SMTP connection (plain, STARTTLS or implicit TLS)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        security: str = "plain",
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.security = security
        self.timeout = timeout
        self.ssl_context = ssl_context or ssl.create_default_context()
        self._connection: smtplib.SMTP | None = None
        self._last_used = time.monotonic()

    def _connect(self) -> smtplib.SMTP:
        try:
            connection: smtplib.SMTP
            if self.security == "ssl":
                connection = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=self.ssl_context
                )
            else:
                connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.security == "starttls":
                    connection.starttls(context=self.ssl_context)
            if self.username:
                connection.login(self.username, self.password or "")
        except smtplib.SMTPAuthenticationError as error:
            raise TemporaryDeliveryError(_reply(error.smtp_error), error.smtp_code) from error
        except (OSError, smtplib.SMTPException) as error:
            raise TemporaryDeliveryError(
                f"cannot connect to {self.host}:{self.port}: {error}"
            ) from error
        return connection

    def send(self, message: EmailMessage) -> None:
        connection = self._ready_connection()
        self._hand_over(lambda: connection.send_message(message))

    def send_raw(self, sender: str, recipient: str, data: bytes) -> None:
        # The digest pipeline serialises messages itself (much faster than
        # email.generator), so they go out as bytes.
        connection = self.ready_connection()
        smtputf8 = connection.has_extn("smtputf8")
        mail_from = envelope_address(sender, smtputf8=smtputf8)
        rcpt_to = envelope_address(recipient, smtputf8=smtputf8)
        if mail_from.isascii() and rcpt_to.isascii():
            if connection.has_extn("pipelining"):
                self._hand_over(lambda: _pipelined_sendmail(connection, mail_from, rcpt_to, data))
            else:
                self._hand_over(lambda: connection.sendmail(mail_from, [rcpt_to], data))
        else:
            self._hand_over(
                lambda: connection.sendmail(mail_from, [rcpt_to], data, mail_options=["SMTPUTF8"])
            )

    def _hand_over(self, deliver: Callable[[], dict[str, tuple[int, bytes]]]) -> None:
        try:
            with SMTP_SEND_SECONDS.time():
                refused = deliver()
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise classify(code, reply) from error
        except (UnicodeEncodeError, smtplib.SMTPNotSupportedError) as error:
            # An address the server cannot take (no SMTPUTF8): this message fails alone.
            raise UnsendableAddress(f"the mail server cannot take this address: {error}") from error
        except smtplib.SMTPResponseException as error:
            if error.smtp_code == 421:
                self._drop()
            raise classify(error.smtp_code, error.smtp_error) from error
        except (OSError, smtplib.SMTPException) as error:
            # Dropped mid-message: we cannot know whether it was accepted, so the
            # caller decides (the pipeline retries later, bounded by max attempts).
            self._drop()
            raise TemporaryDeliveryError(f"connection lost while sending: {error}") from error
        finally:
            self._last_used = time.monotonic()
        if refused:
            code, reply = next(iter(refused.values()))
            raise classify(code, reply)

    def ready_connection(self, *, probe: bool = True) -> smtplib.SMTP:
        """The open connection after EHLO (for ``pipeline``); raises ``TemporaryDeliveryError``.

        ``probe=False`` while a message's content is still owed to the server (after its
        354): a NOOP then would land inside that message and put replies out of step.
        """
        connection = self._ready_connection(probe=probe)
        try:
            connection.ehlo_or_helo_if_needed()
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            raise TemporaryDeliveryError(f"connection lost before sending: {error}") from error
        return connection

    def drop(self) -> None:
        """Forget a connection that broke (the next message opens a new one)."""
        self._drop()

    def touched(self) -> None:
        self._last_used = time.monotonic()

    def _ready_connection(self, *, probe: bool = True) -> smtplib.SMTP:
        """The open connection, checked with NOOP after a pause (servers close idle ones)."""
        idle = time.monotonic() - self._last_used > IDLE_CHECK_SECONDS
        if probe and self._connection is not None and idle:
            try:
                self._connection.noop()
            except (OSError, smtplib.SMTPException):
                self._drop()
        if self._connection is None:
            self._connection = self._connect()
        return self._connection

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.close()

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            connection.close()


def _pipelined_sendmail(
    connection: smtplib.SMTP, sender: str, recipient: str, data: bytes
) -> dict[str, tuple[int, bytes]]:
    """``sendmail`` in two round trips instead of four (RFC 2920 PIPELINING).

    MAIL, RCPT and DATA go out in one write and their three replies are read
    together; then the message. ``data`` must use CRLF line ends (ours do); it
    is dot-stuffed here. Raises the same smtplib exceptions as ``sendmail``.
    """
    connection.send(
        b"MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n" % (sender.encode(), recipient.encode())
    )
    mail = connection.getreply()
    rcpt = connection.getreply()
    data_reply = connection.getreply()
    if data_reply[0] == 354 and (mail[0] != 250 or rcpt[0] not in (250, 251)):
        # A server that accepts DATA without a recipient: never send it an empty message.
        connection.close()
        raise smtplib.SMTPServerDisconnected("server accepted DATA without a recipient")
    if data_reply[0] != 354:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            connection.rset()
        if mail[0] != 250:
            raise smtplib.SMTPSenderRefused(mail[0], mail[1], sender)
        if rcpt[0] not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({recipient: rcpt})
        raise smtplib.SMTPDataError(*data_reply)
    body = data.replace(b"\r\n.", b"\r\n..")
    if body.startswith(b"."):
        body = b"." + body
    connection.send(body + (b".\r\n" if body.endswith(b"\r\n") else b"\r\n.\r\n"))
    code, reply = connection.getreply()
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)
    return {}


def _reply(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def classify(code: int, reply: bytes | str) -> TemporaryDeliveryError | PermanentDeliveryError:
    text = _reply(reply)
    if 500 <= code < 600:
        return PermanentDeliveryError(text, code)
    return TemporaryDeliveryError(text, code)


class MailURLError(ValueError):
    """``PAPERBOY_MAIL_URL`` is not a ``file://``, ``smtp://`` or ``smtps://`` URL."""


def transport_for(mail_url: str) -> FileTransport | SMTPTransport:
    """The transport ``mail_url`` describes."""
    parts = urlsplit(mail_url)
    if parts.scheme == "file":
        return FileTransport(Path(unquote(parts.path)))
    if parts.scheme in ("smtp", "smtps"):
        if not parts.hostname:
            raise MailURLError(f"no host in mail URL {mail_url!r}")
        options = parse_qs(parts.query)
        starttls = options.get("starttls", ["0"])[0].lower() in ("1", "true", "yes")
        security = "ssl" if parts.scheme == "smtps" else ("starttls" if starttls else "plain")
        return SMTPTransport(
            parts.hostname,
            parts.port or (465 if security == "ssl" else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            security=security,
        )
    raise MailURLError(
        f"unsupported mail URL {mail_url!r}: use file:///path, smtp://host:port or smtps://host:port"
    )
