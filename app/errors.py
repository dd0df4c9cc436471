"""One exception root for everything the domain refuses on purpose.

Every error knows its HTTP status, a short machine code (``error_code``) and a title, so the
web layer maps the whole tree in one handler (``app/web/errors.py``) and no
route translates errors by hand. ``str(error)`` is a sentence for the user;
the log line carries the detail.

PaperboyError                       400
├── NotFound                        404  (no edition, subscriber, message, ... with that id)
├── Unauthorized                    401  (a credential is missing or wrong)
├── Conflict                        409  (not allowed in the thing's current state)
├── SubscriptionError               app/subscriptions/errors.py
├── EditionError                    app/editions/errors.py
├── AdminAuthError                  app/admin/auth.py
├── IngestError                     app/ingest/errors.py
└── DeliveryError                   app/mailer/errors.py
"""

from __future__ import annotations


class PaperboyError(Exception):
    """Base of every error raised on purpose; subclasses set the class attributes."""

    status_code: int = 400
    error_code: str = "error"
    title: str = "Something went wrong"


class NotFound(PaperboyError):
    """The thing asked for does not exist (or may not be seen)."""

    status_code = 404
    error_code = "not_found"
    title = "Not found"


class Conflict(PaperboyError):
    """Not allowed in the current state; the message says why."""

    status_code = 409
    error_code = "conflict"
    title = "That cannot be done now"


class Unauthorized(PaperboyError):
    """A credential (a webhook token, ...) is missing or wrong."""

    status_code = 401
    error_code = "unauthorized"
    title = "Not allowed"
