"""How counts read in the product's sentences (the CLI's and the admin's alike)."""

from __future__ import annotations


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """``1 subscriber``, ``2 subscribers``, ``1 duplicate row``, ``0 rows``."""
    word = noun if count == 1 else (plural_noun or f"{noun}s")
    return f"{count:,} {word}" if count >= 10_000 else f"{count} {word}"


def size_label(size: int) -> str:
    """``1 MB``, ``64 KB``: an upload limit as a sentence says it."""
    return f"{size / 1_048_576:.0f} MB" if size >= 1_048_576 else f"{size // 1024} KB"
