"""Bulk import of subscribers from CSV (``paperboy subscribers import F.csv``).

Header: ``email,interests,topics,frequency,send_hour,timezone`` (only ``email``
is required; ``topics`` separated by ``;``). Rows are imported as *active*
(the operator vouches for their consent) with ``consent_source`` recording
the file. Bad rows are reported with their line number and skipped; the rest
are imported. Addresses already known are left untouched, and suppressed ones
are never imported, so re-importing a file changes nothing.

Cost is linear in rows and memory is flat: the file is streamed, each row
checked and normalised by the same functions as the subscribe form, and the
rows written in chunks of ``CHUNK_SIZE``. On PostgreSQL (``staging.py``) a chunk is ``COPY``-ed
into a temporary staging table and merged with one ``INSERT … SELECT … ON
CONFLICT (email) DO NOTHING RETURNING email`` that leaves out suppressed
addresses (the suppression list's own check, as a join), so the unique index
answers "already present?" as part of the insert and nothing ever searches the
growing table; elsewhere (SQLite) a chunk is a multi-row insert. ``progress``
is called after each chunk is written; a caller that commits there (the CLI
does) keeps every finished chunk if the process dies, and a re-run reports
those rows as already present.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO, cast

from sqlalchemy import Table, select
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.db import one_of, utcnow
from app.models.subscriber import Subscriber, SubscriberStatus
from app.subscriptions.errors import InvalidField
from app.subscriptions.staging import merge_chunk
from app.subscriptions.suppression import suppressed_among
from app.subscriptions.validation import clean_preferences, normalise_email

# Big enough that a chunk's fixed costs (a commit, a truncate, four statements)
# are a small part of its time; small enough that a crash loses little.
CHUNK_SIZE = 5000
# Bad lines beyond this many are counted but not listed, so memory stays flat
# even for a file that is wrong on every line.
MAX_LISTED_ERRORS = 1000
# After this many new rows PostgreSQL's statistics are refreshed at once rather
# than whenever autovacuum gets to it: the admin's search and the send's fan-out
# are planned from them, and a plan made for 1,000 readers is wrong for 1,000,000.
ANALYZE_AFTER_ROWS = 10_000

_TABLE = cast(Table, Subscriber.__table__)
# SQLite (and any other backend): a multi-row VALUES insert.
_INSERT_NEW = sqlite_insert(_TABLE).on_conflict_do_nothing(index_elements=[_TABLE.c.email])

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
    bad_lines: int = 0
    errors: list[RowError] = field(default_factory=list)
    """The first ``MAX_LISTED_ERRORS`` bad lines with their reasons."""

    @property
    def rows_read(self) -> int:
        return (
            self.imported
            + self.already_present
            + self.suppressed
            + self.duplicates_in_file
            + self.bad_lines
        )

    def add_error(self, line: int, message: str) -> None:
        self.bad_lines += 1
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append(RowError(line, message))


class ImportFileError(ValueError):
    """The file cannot be imported at all (missing, unreadable, no ``email`` column)."""


def count_rows(path: Path) -> int:
    """Roughly how many data rows ``path`` holds (its lines less the header), for an ETA.

    A quoted field with a line break counts twice; the figure is for a progress
    bar, not for the report.
    """
    lines = 0
    last = b"\n"
    try:
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                lines += block.count(b"\n")
                last = block[-1:]
    except OSError as error:
        raise ImportFileError(f"cannot read {path}: {error.strerror}") from error
    if last != b"\n":
        lines += 1
    return max(lines - 1, 0)


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
        _check_readable(path, handle, delimiter)
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
            raise _not_utf8(path) from error
    if "\x00" in first:
        # UTF-16 without a byte-order mark decodes as "UTF-8" with a NUL every other byte.
        raise _not_utf8(path)
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
        raise _not_utf8(path) from error
    except csv.Error as error:
        # The csv reader's own count: DictReader's stops at the last row it returned.
        raise _field_error(path, reader.reader.line_num, error) from error


def _check_readable(path: Path, handle: TextIO, delimiter: str) -> None:
    """Raise ``_reader``'s errors for the whole file, read as plain lists (cheaper than dicts)."""
    reader = csv.reader(handle, delimiter=delimiter)
    try:
        for _ in reader:
            pass
    except UnicodeDecodeError as error:
        raise _not_utf8(path) from error
    except csv.Error as error:
        raise _field_error(path, reader.line_num, error) from error


def _field_error(path: Path, line: int, error: csv.Error) -> ImportFileError:
    return ImportFileError(
        f"{path.name}, line {line}: {error} (a field may be over "
        f"{csv.field_size_limit():,} characters, or a quote is not closed)"
    )


def _not_utf8(path: Path) -> ImportFileError:
    line, utf16 = _first_line_not_utf8(path)
    kind = " (it is UTF-16, Excel's “Unicode Text”)" if utf16 else ""
    return ImportFileError(
        f"{path.name}, line {line}: the file is not UTF-8 text{kind}; "
        "save it as “CSV UTF-8” and import it again"
    )


def _first_line_not_utf8(path: Path) -> tuple[int, bool]:
    """(the first line that does not decode, whether the file looks like UTF-16).

    Text files decode in blocks, so the decoder's error does not say which line
    it was in; the file is read again, a line at a time, to name it.
    """
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1:
                if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in raw:
                    return 1, True
                raw = raw.removeprefix(codecs.BOM_UTF8)
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return number, False
    return 1, False


def import_rows(
    session: Session,
    *,
    rows: Iterable[tuple[int, dict[str, Any]]],
    source: str,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import already-split rows (``(line number, {column: value})``) in chunks.

    ``progress(rows handled)`` runs after each chunk has been written (flushed,
    not committed: committing there is the caller's choice).
    """
    report = ImportReport()
    # Rows this run inserts are created at or after ``started``, which tells a
    # duplicate in the file from an address that was already there.
    started = utcnow()
    handled = 0
    for chunk in _chunks(rows, CHUNK_SIZE):
        valid: dict[str, dict[str, Any]] = {}
        for line, row in chunk:
            try:
                values = _row_values(row)
            except InvalidField as error:
                report.add_error(line, f"{error.field}: {error.message}")
                continue
            if values["email"] in valid:
                report.duplicates_in_file += 1
                continue
            valid[values["email"]] = values
        _write_chunk(session, valid, source=source[:200], started=started, report=report)
        handled += len(chunk)
        if progress:
            progress(handled)
    if report.imported >= ANALYZE_AFTER_ROWS and session.get_bind().dialect.name == "postgresql":
        session.execute(sql_text("ANALYZE subscriber"))
    return report


def _row_values(row: dict[str, Any]) -> dict[str, Any]:
    if None in row:
        raise InvalidField("row", "more values than columns in the header")

    def value_of(name: str) -> str:
        value = row.get(name)
        if not isinstance(value, str):
            return ""
        # Our own export's defused cells ('=...) read back as what they were.
        return value[1:] if value[:1] == "'" and value[1:2] in FORMULA_STARTS else value

    email = normalise_email(value_of("email"))
    preferences = clean_preferences(
        interests=value_of("interests"),
        topics=[part for part in value_of("topics").split(";") if part.strip()],
        frequency=value_of("frequency").strip().lower() or "daily",
        send_hour=value_of("send_hour").strip() or 7,
        timezone=value_of("timezone").strip() or "UTC",
    )
    return {
        "email": email,
        "interests": preferences.interests,
        "topics": preferences.topics,
        "frequency": preferences.frequency,
        "send_hour": preferences.send_hour,
        "timezone": preferences.timezone,
    }


def _write_chunk(
    session: Session,
    valid: dict[str, dict[str, Any]],
    *,
    source: str,
    started: datetime,
    report: ImportReport,
) -> None:
    if not valid:
        return
    # A creation time per chunk (not one for the whole file), so "newest first"
    # lists walking the created_at index meet ties of a chunk, not of a million.
    now = utcnow()
    refused: set[str]
    inserted: set[str]
    if session.get_bind().dialect.name == "postgresql":
        refused, inserted = merge_chunk(session, list(valid.values()), source=source, now=now)
    else:
        refused, inserted = _insert_plain(session, valid, source=source, now=now)
    report.suppressed += len(refused)
    report.imported += len(inserted)
    conflicts = [email for email in valid if email not in inserted and email not in refused]
    if conflicts:
        # An index lookup per conflicting address, and only for those.
        dialect = session.get_bind().dialect.name
        earlier_in_file = set(
            session.scalars(
                select(Subscriber.email).where(
                    one_of(Subscriber.email, conflicts, dialect=dialect),
                    Subscriber.created_at >= started,
                    Subscriber.consent_source == source,
                )
            )
        )
        report.duplicates_in_file += len(earlier_in_file)
        report.already_present += len(conflicts) - len(earlier_in_file)


def _insert_plain(
    session: Session, valid: dict[str, dict[str, Any]], *, source: str, now: datetime
) -> tuple[set[str], set[str]]:
    """A multi-row insert of the addresses not suppressed: (suppressed, inserted) addresses."""
    refused = suppressed_among(session, valid.keys())
    new_rows = [values for email, values in valid.items() if email not in refused]
    if not new_rows:
        return refused, set()
    constant = {
        "status": SubscriberStatus.ACTIVE,
        "weekly_day": 0,
        "token_version": 1,
        "seed_papers": [],
        "consent_source": source,
        "consent_at": now,
        "confirmed_at": now,
        "created_at": now,
        "updated_at": now,
    }
    statement = _INSERT_NEW.returning(_TABLE.c.email)
    return refused, set(session.scalars(statement, [{**row, **constant} for row in new_rows]))


def _chunks(
    rows: Iterable[tuple[int, dict[str, Any]]], size: int
) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    chunk: list[tuple[int, dict[str, Any]]] = []
    for item in rows:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
