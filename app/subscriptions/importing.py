"""Bulk import of subscribers from CSV (``paperboy subscribers import F.csv``).

Header: ``email,interests,topics,frequency,send_hour,timezone`` (only ``email``
is required; ``topics`` separated by ``;``). Rows are imported as *active*
(the operator vouches for their consent) with ``consent_source`` recording
the file. Bad rows are reported with their line number and skipped; the rest
are imported. Addresses already known are left untouched, and suppressed ones
are never imported, so re-importing a file changes nothing.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models.subscriber import Subscriber, SubscriberStatus
from app.models.suppression import Suppression
from app.subscriptions.errors import InvalidField
from app.subscriptions.validation import clean_preferences, normalise_email

COLUMNS = ("email", "interests", "topics", "frequency", "send_hour", "timezone")
BATCH_SIZE = 1000
DELIMITERS = (",", ";", "\t")
# What an export puts before a cell that a spreadsheet would run as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class RowError:
    line: int
    message: str


@dataclass
class ImportReport:
    imported: int = 0
    already_present: int = 0
    suppressed: int = 0
    duplicates_in_file: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return (
            self.imported
            + self.already_present
            + self.suppressed
            + self.duplicates_in_file
            + len(self.errors)
        )


class ImportFileError(ValueError):
    """The file cannot be imported at all (missing, unreadable, no ``email`` column)."""


def import_subscribers_csv(
    session: Session,
    *,
    path: Path,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import ``path``; ``progress`` is called with the number of rows handled so far.

    The whole file is read once before anything is stored, so a file that is not
    UTF-8, or has a field over ``csv.field_size_limit()``, is refused with the line
    to fix and imports nothing. Excel's ``;``-separated CSV is read as well.
    """
    delimiter = _delimiter(path)
    with _open(path) as handle:
        for _ in _reader(path, handle, delimiter):
            pass
    with _open(path) as handle:
        rows = _reader(path, handle, delimiter)
        return import_rows(session, rows=rows, source=f"import:{path.name}", progress=progress)


def _open(path: Path) -> TextIO:
    try:
        return path.open(newline="", encoding="utf-8-sig")
    except OSError as error:
        raise ImportFileError(f"cannot read {path}: {error.strerror}") from error


def _delimiter(path: Path) -> str:
    """``,`` unless the header row only makes sense split on ``;`` or a tab."""
    with _open(path) as handle:
        try:
            first = handle.readline(64 * 1024)
        except UnicodeDecodeError as error:
            raise _not_utf8(path, 1) from error
    for delimiter in DELIMITERS:
        names = next(csv.reader([first], delimiter=delimiter), [])
        if "email" in (name.strip().lower() for name in names):
            return delimiter
    raise ImportFileError(f"{path.name}: the header row must have an 'email' column")


def _reader(path: Path, handle: TextIO, delimiter: str) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(handle, delimiter=delimiter)
    try:
        reader.fieldnames = [name.strip().lower() for name in reader.fieldnames or []]
        for row in reader:
            yield reader.line_num, row
    except UnicodeDecodeError as error:
        raise _not_utf8(path, reader.line_num + 1) from error
    except csv.Error as error:
        raise ImportFileError(
            f"{path.name}, line {reader.line_num}: {error} (a field may be over "
            f"{csv.field_size_limit():,} characters, or a quote is not closed)"
        ) from error


def _not_utf8(path: Path, line: int) -> ImportFileError:
    return ImportFileError(
        f"{path.name}, line {line}: the file is not UTF-8 text; "
        "save it as “CSV UTF-8” and import it again"
    )


def import_rows(
    session: Session,
    *,
    rows: Iterable[tuple[int, dict[str, Any]]],
    source: str,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import already-split rows (``(line number, {column: value})``) in batches."""
    report = ImportReport()
    seen: set[str] = set()
    handled = 0
    for batch in _batches(rows, BATCH_SIZE):
        valid: dict[str, dict[str, Any]] = {}
        for line, row in batch:
            handled += 1
            try:
                values = _row_values(row)
            except InvalidField as error:
                report.errors.append(RowError(line, f"{error.field}: {error.message}"))
                continue
            if values["email"] in seen:
                report.duplicates_in_file += 1
                continue
            seen.add(values["email"])
            valid[values["email"]] = values
        _insert_batch(session, valid, source=source, report=report)
        if progress:
            progress(handled)
    return report


def _row_values(row: dict[str, Any]) -> dict[str, Any]:
    if None in row:
        raise InvalidField("row", "more values than columns in the header")

    def text(name: str) -> str:
        value = row.get(name)
        if not isinstance(value, str):
            return ""
        # Our own export's defused cells ('=...) read back as what they were.
        return value[1:] if value[:1] == "'" and value[1:2] in FORMULA_STARTS else value

    email = normalise_email(text("email"))
    preferences = clean_preferences(
        interests=text("interests"),
        topics=[part for part in text("topics").split(";") if part.strip()],
        frequency=text("frequency").strip().lower() or "daily",
        send_hour=text("send_hour").strip() or 7,
        timezone=text("timezone").strip() or "UTC",
    )
    return {
        "email": email,
        "interests": preferences.interests,
        "topics": preferences.topics,
        "frequency": preferences.frequency,
        "send_hour": preferences.send_hour,
        "timezone": preferences.timezone,
    }


def _insert_batch(
    session: Session, valid: dict[str, dict[str, Any]], *, source: str, report: ImportReport
) -> None:
    if not valid:
        return
    emails = list(valid)
    present = set(session.scalars(select(Subscriber.email).where(Subscriber.email.in_(emails))))
    suppressed = set(
        session.scalars(select(Suppression.email).where(Suppression.email.in_(emails)))
    )
    now = utcnow()
    new_rows = []
    for email, values in valid.items():
        if email in suppressed:
            report.suppressed += 1
        elif email in present:
            report.already_present += 1
        else:
            new_rows.append(
                {
                    **values,
                    "status": SubscriberStatus.ACTIVE,
                    "weekly_day": 0,
                    "token_version": 1,
                    "seed_papers": [],
                    "consent_source": source[:200],
                    "consent_at": now,
                    "confirmed_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    if new_rows:
        session.execute(insert(Subscriber), new_rows)
        report.imported += len(new_rows)


def _batches(
    rows: Iterable[tuple[int, dict[str, Any]]], size: int
) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    batch: list[tuple[int, dict[str, Any]]] = []
    for item in rows:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
