"""How the ingest reports progress (the CLI draws a bar; tasks and tests ignore it)."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def stage(self, description: str, total: int | None = None) -> None:
        """A new stage begins (``total`` steps, or unknown)."""
        ...

    def advance(self, steps: int = 1) -> None:
        """Some steps of the current stage are done."""
        ...


class NoProgress:
    """Progress that goes nowhere."""

    def stage(self, description: str, total: int | None = None) -> None:
        return None

    def advance(self, steps: int = 1) -> None:
        return None


NO_PROGRESS: Progress = NoProgress()
