"""Why a message could not be delivered.

DeliveryError
├── TemporaryDeliveryError   4xx reply, dropped connection, timeout: retry later
└── PermanentDeliveryError   5xx reply for the recipient: bounce, do not retry
    └── UnsendableAddress    the address cannot travel through this server (e.g. a non-ASCII
                             local part without SMTPUTF8): fails alone, is not a bounce
"""

from __future__ import annotations

from app.errors import PaperboyError


class DeliveryError(PaperboyError):
    """A message was not accepted by the transport."""

    status_code = 502
    error_code = "delivery_failed"
    title = "The mail server did not take the message"

    def __init__(self, reply: str, code: int | None = None) -> None:
        super().__init__(f"{code} {reply}" if code else reply)
        self.code = code
        self.reply = reply


class TemporaryDeliveryError(DeliveryError):
    """Worth retrying later."""


class PermanentDeliveryError(DeliveryError):
    """The recipient will never accept it (hard bounce)."""


class UnsendableAddress(PermanentDeliveryError):
    """The address cannot be handed to this server at all; not the recipient's fault."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, None)
