"""Why an edition operation was refused.

EditionError
├── EditionNotFound      no edition with that id (404)
└── EditionStateError    not allowed in the edition's current state; the message says why (409)
"""

from __future__ import annotations

from app.errors import Conflict, NotFound, PaperboyError


class EditionError(PaperboyError):
    """An edition operation could not be done."""


class EditionNotFound(EditionError, NotFound):
    pass


class EditionStateError(EditionError, Conflict):
    pass
