"""Why an edition operation was refused.

EditionError
├── EditionNotFound      no edition with that id
└── EditionStateError    not allowed in the edition's current state (the message says why)
"""

from __future__ import annotations


class EditionError(Exception):
    """An edition operation could not be done."""


class EditionNotFound(EditionError):
    pass


class EditionStateError(EditionError):
    pass
