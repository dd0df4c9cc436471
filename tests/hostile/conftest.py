"""Report how many hostile cases the property tests ran (the issue asks the suite to say)."""

from __future__ import annotations

from _pytest.terminal import TerminalReporter

from tests.hostile.strategies import HOSTILE_CASES, PROFILE


def pytest_terminal_summary(terminalreporter: TerminalReporter) -> None:
    if not HOSTILE_CASES:
        return
    total = HOSTILE_CASES["examples"] + HOSTILE_CASES["whole sends"]
    details = ", ".join(f"{name} {count}" for name, count in sorted(HOSTILE_CASES.items()))
    terminalreporter.write_sep("-", "hostile input")
    terminalreporter.write_line(f"hostile cases run: {total} ({details}; profile {PROFILE})")
