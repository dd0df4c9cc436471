"""A reader's reference-manager export read into references: BibTeX, RIS or Zotero CSV.

The parsing is the libraries' (bibtexparser 2 for BibTeX, rispy for RIS, the
csv module for Zotero's CSV); this module decides which paper each entry names
(``app.ingest.references``: ``eprint`` with ``archivePrefix = {arXiv}``, an
``arxiv`` field, an arXiv DOI, an arXiv or Hugging Face URL, "arXiv:ID" in a
journal or note) and says why when one names none.

Bounded on purpose: the caller caps the bytes; a file that is not UTF-8 text, has
more than ``MAX_ENTRIES`` entries, or is no export we know is refused whole with a
sentence (``InvalidField``, field ``library``). One entry that will not parse fails
alone, with its reason, and the others are read.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import rispy
from bibtexparser.entrypoint import parse_string as parse_bibtex
from bibtexparser.library import Library
from bibtexparser.middlewares import RemoveEnclosingMiddleware
from bibtexparser.model import DuplicateBlockKeyBlock, Entry, ParsingFailedBlock

from app.ingest.references import UnreadableReference, arxiv_id_mentioned, read_reference
from app.subscriptions.errors import InvalidField

log = logging.getLogger(__name__)

FIELD = "library"
MAX_ENTRIES = 5_000
LABEL_MAX = 120
FORMATS = "a BibTeX (.bib), RIS (.ris) or Zotero CSV (.csv) export"
NO_ARXIV = "no arXiv id, arXiv link or arXiv DOI in this entry"
NOT_ON_ARXIV = "its DOI is not an arXiv one: only arXiv papers can be brought"
NO_ENTRIES = "We found no entries in this file. Choose " + FORMATS + "."

Format = Literal["bibtex", "ris", "csv"]


@dataclass(frozen=True)
class BroughtReference:
    """One reference a reader gave: the arXiv id it names, or why it names none."""

    label: str
    arxiv_id: str | None = None
    reason: str | None = None


def reference_from_text(text: str) -> BroughtReference:
    """A reference the reader typed (an id, an arXiv or Hugging Face link, an arXiv DOI)."""
    label = _label(text)
    try:
        return BroughtReference(label, read_reference(text))
    except UnreadableReference as error:
        return BroughtReference(label, reason=str(error))


def read_library_file(data: bytes, *, filename: str = "") -> list[BroughtReference]:
    """Every entry of an export, in file order; ``InvalidField`` if the file is unusable."""
    text = _decoded(data)
    kind = _format_of(text, filename)
    reader = _bibtex if kind == "bibtex" else _ris if kind == "ris" else _zotero_csv
    references = list(reader(text))
    if not references:  # a header alone, or only @comment and @string blocks
        raise InvalidField(FIELD, NO_ENTRIES)
    return references


def _decoded(data: bytes) -> str:
    if not data.strip():
        raise InvalidField(FIELD, "This file is empty. Choose " + FORMATS + ".")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = _decode(data, "utf-16")
    else:
        text = _decode(data, "utf-8-sig")
    if "\x00" in text or sum(1 for c in text[:4096] if c < " " and c not in "\t\r\n\f") > 8:
        raise InvalidField(FIELD, "This file is not text. Choose " + FORMATS + ".")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise InvalidField(
            FIELD,
            "This file is not UTF-8 text. Export it again as UTF-8 "
            "(Zotero, Mendeley and JabRef all can), or paste the ids instead.",
        ) from None


_BIBTEX_START = re.compile(r"^\s*@[A-Za-z]+\s*[{(]", re.MULTILINE)
# Every block start, wherever it is (what the parser would have to look at).
_BIBTEX_BLOCK = re.compile(r"@\s*[A-Za-z]+\s*[{(]")
_RIS_START = re.compile(r"^TY  -", re.MULTILINE)
_RIS_LINE = re.compile(r"^[A-Z][A-Z0-9]  -")


def _format_of(text: str, filename: str) -> Format:
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    head = text.lstrip()[:4096]
    if suffix in ("bib", "bibtex") or (suffix != "csv" and _BIBTEX_START.search(head)):
        kind: Format = "bibtex"
        count = len(_BIBTEX_BLOCK.findall(text))
    elif suffix == "ris" or _RIS_START.search(head):
        kind, count = "ris", len(_RIS_START.findall(text))
    elif suffix == "csv" or head.split("\n", 1)[0].count(",") >= 2:
        kind, count = "csv", _csv_rows(text)
    else:
        raise InvalidField(FIELD, "We could not tell what this file is. Choose " + FORMATS + ".")
    if count > MAX_ENTRIES:
        raise InvalidField(
            FIELD,
            f"This file has more than {MAX_ENTRIES:,} entries. Export only the collection "
            "you want to bring.",
        )
    if count == 0:
        raise InvalidField(FIELD, NO_ENTRIES)
    return kind


def _csv_rows(text: str) -> int:
    """Rows past the header that hold something: a quoted abstract spans many lines."""
    try:
        rows = sum(1 for row in csv.reader(io.StringIO(text)) if any(c.strip() for c in row))
    except csv.Error:  # a field past the csv module's limit: each line is an upper bound
        return text.count("\n")
    return max(rows - 1, 0)


def _label(text: str) -> str:
    # BibTeX titles keep their case-protecting braces: "{BERT}: Pre-training ...".
    label = " ".join(str(text).replace("{", "").replace("}", "").split())
    return label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1] + "…"


def _from_fields(
    label: str,
    *,
    ids: Iterable[str],
    links: Iterable[str],
    dois: Iterable[str],
    texts: Iterable[str],
) -> BroughtReference:
    """The entry's arXiv id from its fields, strongest evidence first."""
    reasons: list[str] = []
    for value in (*ids, *dois, *links):
        if not value.strip():
            continue
        try:
            return BroughtReference(label, read_reference(value))
        except UnreadableReference as error:
            reasons.append(str(error))
    for value in texts:
        found = arxiv_id_mentioned(value)
        if found:
            return BroughtReference(label, found)
    if any(doi.strip() for doi in dois):
        return BroughtReference(label, reason=NOT_ON_ARXIV)
    return BroughtReference(label, reason=reasons[0] if reasons else NO_ARXIV)


# --- BibTeX ------------------------------------------------------------------------

_ARXIV_ID_FIELDS = ("arxiv", "arxivid", "arxiv_id", "arxiv-id")
_BIBTEX_TEXT_FIELDS = ("journal", "note", "howpublished", "publisher", "booktitle", "series")
_BIBTEX_KEY = re.compile(r"@\s*\w+\s*[{(]\s*([^,\s]{1,100})")


def _bibtex(text: str) -> Iterator[BroughtReference]:
    # bibtexparser logs every block it cannot parse with the block's text: our report
    # says it to the reader instead.
    logging.getLogger("bibtexparser").setLevel(logging.ERROR)
    library = parse_bibtex(text)
    blocks: list[tuple[int, BroughtReference]] = []
    for entry in library.entries:
        blocks.append((entry.start_line or 0, _bibtex_entry(entry)))
    for block in library.failed_blocks:
        line = block.start_line or 0
        if isinstance(block, DuplicateBlockKeyBlock) and isinstance(
            block.ignore_error_block, Entry
        ):
            blocks.append((line, _bibtex_entry(_as_parsed(block.ignore_error_block, library))))
            continue
        found = _BIBTEX_KEY.search(block.raw or "")
        label = found.group(1) if found else f"the entry on line {line + 1}"
        reason = "could not be read as BibTeX (a brace or a quote is not closed?)"
        if isinstance(block, ParsingFailedBlock):
            blocks.append((line, BroughtReference(_label(label), reason=reason)))
    for _, reference in sorted(blocks, key=lambda pair: pair[0]):
        yield reference


def _as_parsed(entry: Entry, library: Library) -> Entry:
    """A second entry under a key already used, as the parser gives the first: it skips
    the middlewares, so @string names are unresolved and values keep their braces."""
    strings = {key.lower(): string.value for key, string in library.strings_dict.items()}
    for item in entry.fields:
        if isinstance(item.value, str) and item.value.strip().lower() in strings:
            item.value = strings[item.value.strip().lower()]
    return RemoveEnclosingMiddleware().transform_entry(entry, library)


def _bibtex_entry(entry: Entry) -> BroughtReference:
    fields = {f.key.lower(): _text(f.value) for f in entry.fields}
    title = fields.get("title", "")
    label = _label(f"{entry.key}: {title}" if title else entry.key)
    prefix = (fields.get("archiveprefix") or fields.get("eprinttype") or "").lower()
    ids = [fields[name] for name in _ARXIV_ID_FIELDS if name in fields]
    if "eprint" in fields and (prefix in ("arxiv", "") or "arxiv" in prefix):
        ids.insert(0, fields["eprint"])
    texts = [fields.get(name, "") for name in _BIBTEX_TEXT_FIELDS]
    # DBLP: journal = {CoRR}, volume = {abs/1706.03762}.
    volume = fields.get("volume", "")
    if fields.get("journal", "").strip().lower() == "corr" and volume.startswith("abs/"):
        ids.append(volume.removeprefix("abs/"))
    return _from_fields(
        label,
        ids=ids,
        links=[fields.get("url", ""), fields.get("eprint", ""), fields.get("pdf", "")],
        dois=[fields.get("doi", "")],
        texts=texts,
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


# --- RIS ---------------------------------------------------------------------------

_RIS_ID_KEYS = ("accession_number",)
_RIS_TEXT_KEYS = (
    "journal_name",
    "secondary_title",
    "alternate_title1",
    "alternate_title2",
    "alternate_title3",
    "note",
    "notes",
    "number",
    "id",
    "custom1",
    "custom2",
    "publisher",
)


def _ris(text: str) -> Iterator[BroughtReference]:
    position = 0
    for record, complete in _ris_records(text):
        position += 1
        title = next(
            (line[6:].strip() for line in record if line[:2] in ("TI", "T1")), f"entry {position}"
        )
        label = _label(title)
        if not complete:
            yield BroughtReference(label, reason="the entry has no end line (ER  -)")
            continue
        try:
            [parsed] = rispy.loads("\n".join(record))
        except Exception as error:  # a library we do not control: one entry fails alone
            log.info("RIS entry %d unreadable: %r", position, error)
            yield BroughtReference(label, reason="could not be read as RIS")
            continue
        yield _ris_entry(label, parsed)


def _ris_records(text: str) -> Iterator[tuple[list[str], bool]]:
    """Each record's lines (``TY`` to ``ER``) and whether it was closed by its ``ER``."""
    record: list[str] | None = None
    for line in text.split("\n"):
        if line.startswith("TY  -"):
            if record is not None:
                yield record, False
            record = [line]
        elif record is not None:
            record.append(line)
            if line.startswith("ER  -"):
                yield record, True
                record = None
    if record is not None:
        yield record, False


def _ris_entry(label: str, parsed: Mapping[str, Any]) -> BroughtReference:
    def values(key: str) -> list[str]:
        value = parsed.get(key)
        items = value if isinstance(value, list) else [value]
        return [item for item in items if isinstance(item, str)]

    ids = [v for key in _RIS_ID_KEYS for v in values(key) if "arxiv" in v.lower()]
    return _from_fields(
        label,
        ids=[v.removeprefix("arXiv:") for v in ids],
        links=values("urls") + values("url"),
        dois=values("doi"),
        texts=[v for key in _RIS_TEXT_KEYS for v in values(key)],
    )


# --- Zotero CSV --------------------------------------------------------------------

_CSV_LINK_COLUMNS = ("url", "link attachments")
_CSV_DOI_COLUMNS = ("doi",)
_CSV_TEXT_COLUMNS = (
    "extra",
    "publication title",
    "archive location",
    "loc. in archive",
    "number",
    "report number",
    "archive",
    "notes",
)


def _zotero_csv(text: str) -> Iterator[BroughtReference]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except (StopIteration, csv.Error):
        header = []
    columns = {name: n for n, name in enumerate(header)}
    known = set(columns) & {*_CSV_LINK_COLUMNS, *_CSV_DOI_COLUMNS, *_CSV_TEXT_COLUMNS}
    if not known:
        raise InvalidField(
            FIELD,
            "This CSV has no DOI, Url or Extra column. Export it from Zotero "
            "(File, Export Library, format CSV), or choose a BibTeX or RIS file.",
        )
    row_number = 1
    while True:
        row_number += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            reason = f"could not be read as CSV ({error})"
            yield BroughtReference(f"row {row_number}", reason=reason)
            continue
        if not any(cell.strip() for cell in row):
            continue

        def cells(names: Iterable[str], row: list[str] = row) -> list[str]:
            return [row[columns[n]] for n in names if n in columns and columns[n] < len(row)]

        title = (cells(["title"]) or [""])[0]
        label = _label(title or f"row {row_number}")
        yield _from_fields(
            label,
            ids=[],
            links=[part for cell in cells(_CSV_LINK_COLUMNS) for part in cell.split(";")],
            dois=cells(_CSV_DOI_COLUMNS),
            texts=cells(_CSV_TEXT_COLUMNS),
        )
