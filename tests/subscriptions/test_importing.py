"""`paperboy subscribers import`: bulk, forgiving of bad rows, idempotent."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import Subscriber, SubscriberStatus, Suppression, SuppressionReason
from app.subscriptions import service
from app.subscriptions.importing import CHUNK_SIZE, ImportFileError, import_subscribers_csv

CSV = """email,interests,topics,frequency,send_hour,timezone
ada@example.org,diffusion models,vision;generative-media,weekly,9,Europe/London
Grace@Example.org,,,,,
not-an-email,x,,,,
bad-topic@example.org,,astrology,,,
ada@example.org,duplicate,,,,
"""


def write(tmp_path: Path, text: str, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_rows_are_imported_as_active_with_the_file_as_consent_source(
    session: Session, tmp_path: Path
) -> None:
    report = import_subscribers_csv(session, path=write(tmp_path, CSV))

    assert report.imported == 2
    ada = service.find_subscriber(session, "ada@example.org")
    assert ada is not None
    assert ada.status is SubscriberStatus.ACTIVE
    assert ada.consent_source == "import:people.csv"
    assert (ada.topics, ada.frequency.value, ada.send_hour, ada.timezone) == (
        ["vision", "generative-media"],
        "weekly",
        9,
        "Europe/London",
    )
    grace = service.find_subscriber(session, "grace@example.org")
    assert grace is not None and (grace.send_hour, grace.timezone) == (7, "UTC")


def test_bad_rows_are_reported_with_their_line_numbers(session: Session, tmp_path: Path) -> None:
    report = import_subscribers_csv(session, path=write(tmp_path, CSV))
    assert [(error.line, error.message.split(":")[0]) for error in report.errors] == [
        (4, "email"),
        (5, "topics"),
    ]
    assert report.duplicates_in_file == 1


def test_importing_the_same_file_twice_changes_nothing(session: Session, tmp_path: Path) -> None:
    path = write(tmp_path, CSV)
    import_subscribers_csv(session, path=path)
    again = import_subscribers_csv(session, path=path)
    assert (again.imported, again.already_present) == (0, 2)
    assert len(service.list_subscribers(session)) == 2


def test_import_never_revives_an_unsubscribed_or_suppressed_address(
    session: Session, tmp_path: Path
) -> None:
    import_subscribers_csv(session, path=write(tmp_path, "email\nleft@example.org\n"))
    left = service.find_subscriber(session, "left@example.org")
    assert left is not None
    service.unsubscribe(session, subscriber=left)
    session.add(Suppression(email="blocked@example.org", reason=SuppressionReason.COMPLAINT))
    session.flush()

    report = import_subscribers_csv(
        session, path=write(tmp_path, "email\nleft@example.org\nblocked@example.org\n")
    )

    assert (report.imported, report.already_present, report.suppressed) == (0, 1, 1)
    assert left.status is SubscriberStatus.UNSUBSCRIBED
    assert service.find_subscriber(session, "blocked@example.org") is None


def test_thousands_of_rows_import_in_batches(session: Session, tmp_path: Path) -> None:
    lines = ["email,topics"] + [
        f"reader{i}@example.org,llm;rl" for i in range(2 * CHUNK_SIZE + CHUNK_SIZE // 2)
    ]
    progress: list[int] = []
    report = import_subscribers_csv(
        session, path=write(tmp_path, "\n".join(lines) + "\n"), progress=progress.append
    )
    assert report.imported == 2 * CHUNK_SIZE + CHUNK_SIZE // 2
    assert progress == [CHUNK_SIZE, 2 * CHUNK_SIZE, 2 * CHUNK_SIZE + CHUNK_SIZE // 2]


def test_a_file_without_an_email_column_is_refused(session: Session, tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="email"):
        import_subscribers_csv(session, path=write(tmp_path, "name,topics\nAda,llm\n"))


def test_a_duplicate_far_down_the_file_counts_as_a_duplicate_not_as_already_present(
    session: Session, tmp_path: Path
) -> None:
    session.add(
        Subscriber(email="known@example.org", status=SubscriberStatus.ACTIVE, created_at=utcnow())
    )
    session.flush()
    lines = ["email", "known@example.org"] + [f"reader{i}@example.org" for i in range(1500)]
    lines.append("reader3@example.org")  # a later chunk than its first appearance

    report = import_subscribers_csv(session, path=write(tmp_path, "\n".join(lines) + "\n"))

    assert (report.imported, report.already_present, report.duplicates_in_file) == (1500, 1, 1)


def test_a_file_wrong_on_every_line_lists_the_first_thousand_and_counts_them_all(
    session: Session, tmp_path: Path
) -> None:
    lines = ["email"] + [f"not-an-address-{i}" for i in range(2500)]

    report = import_subscribers_csv(session, path=write(tmp_path, "\n".join(lines) + "\n"))

    assert (report.imported, report.bad_lines, len(report.errors)) == (0, 2500, 1000)
    assert report.errors[0].line == 2


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("email,interests\nzoë@example.org,café\n".encode("latin-1"), "not UTF-8"),
        ("email,interests\nada@example.org,x\n".encode("utf-16"), "not UTF-8"),
        (b"email,interests\nada@example.org," + b"x" * 140_000 + b"\n", "131,072"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_the_line_and_imports_nothing(
    session: Session, tmp_path: Path, content: bytes, says: str
) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError) as caught:
        import_subscribers_csv(session, path=path)
    assert says in str(caught.value) and "line" in str(caught.value)
    assert session.scalars(select(Subscriber)).all() == []


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"email,interests\na@example.org,x\nb@example.org,y\nc@example.org,caf\xe9\n", "line 4:"),
        (b"email,interests\nzo\xeb@example.org,x\n" + b"a@example.org,x\n" * 2000, "line 2:"),
        (b'email\na@example.org\nb@example.org,"' + b"x" * 140_000 + b'"\n', "line 3:"),
        ("email,interests\nada@example.org,x\n".encode("utf-16"), "UTF-16"),
        ("email,interests\nada@example.org,x\n".encode("utf-16-be"), "UTF-16"),
    ],
    ids=["latin-1-line-4", "latin-1-line-2-of-many", "huge-field", "utf-16", "utf-16-no-bom"],
)
def test_the_refusal_names_the_line_that_is_wrong_and_what_the_file_is(
    session: Session, tmp_path: Path, content: bytes, says: str
) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError) as caught:
        import_subscribers_csv(session, path=path)
    assert says in str(caught.value)
    assert "header row" not in str(caught.value)
    assert session.scalars(select(Subscriber)).all() == []


def test_a_semicolon_separated_file_from_excel_is_read(session: Session, tmp_path: Path) -> None:
    path = write(tmp_path, "email;interests;frequency\nada@example.org;agents, RL;weekly\n")
    assert import_subscribers_csv(session, path=path).imported == 1
    ada = session.scalars(select(Subscriber)).one()
    assert (ada.email, ada.interests, ada.frequency.value) == (
        "ada@example.org",
        "agents, RL",
        "weekly",
    )
