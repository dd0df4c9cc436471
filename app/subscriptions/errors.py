"""What can go wrong with a subscription, as one tree (mapped to HTTP in app/web/errors.py).

SubscriptionError
├── InvalidField                 a submitted value is not acceptable (``field`` says which)
├── TokenError                   a link's token cannot be used
│   ├── InvalidToken             forged, mangled or meant for another purpose
│   ├── ExpiredToken             a confirmation link past its max age
│   └── RevokedToken             signed by us but revoked (token version bumped, or gone)
├── SubscriptionNotConfirmable   the confirmation link belongs to an ended subscription
├── SubscriptionEnded            managing a subscription that is unsubscribed or suppressed
└── RateLimited                  too many attempts; try again later
"""

from __future__ import annotations

from app.errors import PaperboyError


class SubscriptionError(PaperboyError):
    """Base of every subscription failure; ``str(error)`` is a sentence for the user."""

    error_code = "subscription_error"


class InvalidField(SubscriptionError):
    """A submitted value is not acceptable; ``field`` names the form/API field."""

    status_code = 422
    error_code = "invalid_field"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class TokenError(SubscriptionError):
    """A token from a link cannot be used."""


class InvalidToken(TokenError):
    """The token was not issued by us for this purpose (forged, truncated, wrong link)."""

    error_code = "invalid_token"
    title = "This link is not valid"


class ExpiredToken(TokenError):
    """A genuine confirmation token, but older than its max age."""

    error_code = "expired_token"
    title = "This link has expired"


class RevokedToken(TokenError):
    """A genuine token whose subscriber no longer exists or whose version was bumped."""

    error_code = "revoked_token"
    title = "This link is no longer valid"


class SubscriptionNotConfirmable(SubscriptionError):
    """The subscription behind a confirmation link was ended since (unsubscribed, bounced)."""

    status_code = 409
    error_code = "subscription_ended"
    title = "This subscription has ended"


class SubscriptionEnded(SubscriptionError):
    """Preferences cannot change on a subscription that has ended."""

    status_code = 409
    error_code = "subscription_ended"
    title = "This subscription has ended"


class RateLimited(SubscriptionError):
    """Too many attempts from one client or for one address."""

    status_code = 429
    error_code = "rate_limited"
    title = "Slow down a little"

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
