"""Enum columns stored as portable VARCHARs (no native ENUM type to migrate)."""

from __future__ import annotations

import enum

from sqlalchemy import Enum


def str_enum(enum_class: type[enum.StrEnum], length: int = 16) -> Enum:
    """A VARCHAR column holding the values (not the names) of ``enum_class``."""
    return Enum(
        enum_class,
        native_enum=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
