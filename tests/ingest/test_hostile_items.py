"""One hostile item is bounded or fails alone: huge counts, control characters, text, URLs.

Before, ``upvotes: 10**30`` failed the whole ingest (OverflowError, exit 1, nothing
stored, no run recorded), a NUL cut a title short and a 1 MB abstract was stored whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.ingest import clean
from app.ingest.parse import ParsedPaper, SkippedItem, parse_daily_papers, parse_item
from app.ingest.service import ingest_date
from app.ingest.sources.hf_daily import HFDailySource
from app.ingest.store import store_papers_each_alone
from app.models.ingest_run import IngestRun, IngestRunStatus
from app.models.paper import Paper, PaperSnapshot
from app.urls import safe_http_url
from tests.ingest.conftest import API_URL, Handler, RecordedWeb

DAY = date(2025, 9, 15)
DAY_START = datetime(2025, 9, 15, 8, 0, tzinfo=UTC)
HOSTILE_URLS = [
    "javascript:alert(document.domain)//",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/x",
    "https://user:pass@evil.example/",
    "https://example.org/\x00x",
    "https://example.org/" + "a" * 3000,
]


def item(arxiv_id: str, **paper: Any) -> dict[str, Any]:
    """A Daily Papers API item; ``paper`` keys override the paper's, ``_top`` the item's."""
    top = paper.pop("_top", {})
    return {
        "paper": {
            "id": arxiv_id,
            "title": f"Paper {arxiv_id}",
            "summary": "An abstract.",
            "authors": [{"name": "Ada Example", "hidden": False}],
            "publishedAt": "2025-09-11T17:59:58.000Z",
            "submittedOnDailyAt": "2025-09-15T00:00:00.000Z",
            "upvotes": 3,
            "githubRepo": "https://github.com/example/repo",
            "githubStars": 10,
            "projectPage": "https://example.org/project",
            **paper,
        },
        "thumbnail": "https://cdn.example.org/t.png",
        "numComments": 1,
        **top,
    }


def hostile_batch() -> list[dict[str, Any]]:
    """Six items, each hostile in one way, and one plain one."""
    return [
        item("2509.00001", upvotes=10**30),
        item("2509.00002", githubStars=10**25, _top={"numComments": 10**40}),
        item("2509.00003", upvotes=-7, _top={"numComments": -3}),
        item("2509.00004", title="Deep\x00 Learning\x07 \ud800of \x1bThings"),
        item("2509.00005", summary="x" * 1_000_000),
        item("2509.00006", projectPage=HOSTILE_URLS[0], githubRepo="//evil.example"),
        item("2509.00007"),
    ]


def parsed(raw: dict[str, Any]) -> ParsedPaper:
    result = parse_item(raw, 0)
    assert isinstance(result, ParsedPaper), result
    return result


def test_huge_and_negative_counts_are_clamped_to_the_column() -> None:
    huge = parsed(
        item("2509.00001", upvotes=10**30, githubStars=10**25, _top={"numComments": 10**40})
    )
    negative = parsed(item("2509.00002", upvotes=-7, githubStars=-1, _top={"numComments": -3}))

    assert (huge.upvotes, huge.github_stars, huge.num_comments) == (clean.COUNT_MAX,) * 3
    assert (negative.upvotes, negative.github_stars, negative.num_comments) == (0, 0, 0)


def test_control_characters_and_lone_surrogates_are_removed_from_text() -> None:
    paper = parsed(
        item(
            "2509.00001",
            title="Deep\x00 Learning\x07 \ud800of \x1bThings",
            summary="line\x00one\r\nline\x85two",
            authors=[{"name": "Ada\x00 Ex\x1bample"}],
            ai_keywords=["key\x00word", "\x01"],
        )
    )

    assert paper.title == "Deep Learning of Things"
    assert paper.abstract == "lineone line two"
    assert paper.authors == ["Ada Example"]
    assert paper.ai_keywords == ["keyword"]
    paper.title.encode("utf-8")  # nothing a database's UTF-8 could refuse


def test_huge_text_is_capped_with_a_note() -> None:
    paper = parsed(
        item(
            "2509.00001",
            title="t" * 50_000,
            summary="x" * 1_000_000,
            ai_summary="s" * 100_000,
            authors=[{"name": "n" * 1000}] * (clean.AUTHORS_MAX + 5),
        )
    )

    assert len(paper.title) == clean.TITLE_MAX
    assert len(paper.abstract) == clean.ABSTRACT_MAX
    assert paper.ai_summary is not None and len(paper.ai_summary) == clean.SUMMARY_MAX
    assert len(paper.authors) == clean.AUTHORS_MAX
    assert {len(name) for name in paper.authors} == {clean.NAME_MAX}
    assert "abstract cut to 10000 characters (was 1000000)" in paper.notes
    assert any(note.startswith("title cut to") for note in paper.notes)
    assert any(note.startswith("author list cut to") for note in paper.notes)


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_an_unsafe_outside_url_is_dropped_and_the_item_kept(url: str) -> None:
    paper = parsed(item("2509.00001", githubRepo=url, projectPage=url, _top={"thumbnail": url}))

    assert (paper.github_repo, paper.project_page, paper.thumbnail) == (None, None, None)
    assert paper.title == "Paper 2509.00001"
    assert len(paper.notes) == 3


def test_safe_urls_are_kept_as_given() -> None:
    paper = parsed(item("2509.00001"))

    assert paper.github_repo == "https://github.com/example/repo"
    assert paper.project_page == "https://example.org/project"
    assert paper.thumbnail == "https://cdn.example.org/t.png"
    assert paper.notes == ()


@pytest.mark.parametrize(
    "changes",
    [
        {"id": "2513.00001"},  # no 13th month: the id's month is not a date
        {"id": "2500.00001"},
        {"submittedOnDailyAt": "9999-12-31T23:00:00-05:00"},  # past the last UTC day
        {"submittedOnDailyAt": "0001-01-01T00:30:00+01:00"},  # before the first
        {"publishedAt": "9999-12-31T23:59:59+00:00", "submittedOnDailyAt": "9999-12-31T00:00:00Z"},
    ],
)
def test_impossible_ids_and_dates_never_raise(changes: dict[str, Any]) -> None:
    result = parse_daily_papers([item("2509.00001", **changes)])

    assert len(result.papers) + len(result.skipped) == 1


def test_an_overlong_archive_name_is_a_malformed_id_not_a_database_error() -> None:
    result = parse_item(item("a" * 40 + "/2509001"), 0)

    assert isinstance(result, SkippedItem)
    assert "malformed arXiv id" in result.reason


def escaped_daily_papers_api(items: list[Any]) -> Handler:
    """The API for ``DAY``, as JSON with \\u escapes (a lone surrogate travels that way)."""

    def handler(request: httpx.Request) -> httpx.Response:
        page, limit = int(request.url.params.get("p", 0)), int(request.url.params["limit"])
        body = json.dumps(items[page * limit : (page + 1) * limit], ensure_ascii=True)
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    return handler


def _count(session: Session, model: type[object]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_live_day_with_hostile_items_stores_every_item_and_records_the_run(
    session: Session, web: RecordedWeb, hf_source: HFDailySource
) -> None:
    web.routes[API_URL] = escaped_daily_papers_api(hostile_batch())

    summary = ingest_date(session, day=DAY, sources=[hf_source], enricher=None)

    assert (summary.fetched, summary.new, len(summary.skipped)) == (7, 7, 0)
    papers = {p.arxiv_id: p for p in session.scalars(select(Paper))}
    assert papers["2509.00001"].upvotes == clean.COUNT_MAX
    assert papers["2509.00002"].github_stars == clean.COUNT_MAX
    assert papers["2509.00002"].num_comments == clean.COUNT_MAX
    assert papers["2509.00003"].upvotes == 0
    assert papers["2509.00004"].title == "Deep Learning of Things"
    assert len(papers["2509.00005"].abstract) == clean.ABSTRACT_MAX
    assert papers["2509.00006"].project_page is None
    assert papers["2509.00006"].github_repo is None
    assert all(safe_http_url(p.project_page) for p in papers.values() if p.project_page)
    (run,) = session.scalars(select(IngestRun))
    assert run.status == IngestRunStatus.SUCCEEDED
    assert run.new == 7
    assert run.error is not None
    assert "2509.00005: abstract cut to 10000 characters" in run.error
    assert "2509.00006: projectPage dropped" in run.error


def test_a_paper_the_database_refuses_is_skipped_with_its_reason_and_the_rest_stored(
    session: Session,
) -> None:
    # Built by hand, past parsing's bounds: what a source nobody bounded would hand over.
    good = ParsedPaper(arxiv_id="2509.00001", title="Good", abstract="", featured_on=DAY)
    huge = ParsedPaper(arxiv_id="2509.00002", title="Huge", abstract="", upvotes=10**30)
    also_good = ParsedPaper(arxiv_id="2509.00003", title="Also good", abstract="")

    result, refused = store_papers_each_alone(
        session, [good, huge, also_good], fetched_at=DAY_START
    )

    assert result.new == 2
    assert [
        (skip.item, skip.reason.startswith("refused by the database: ")) for skip in refused
    ] == [("2509.00002", True)]
    assert sorted(session.scalars(select(Paper.arxiv_id))) == ["2509.00001", "2509.00003"]
    assert _count(session, PaperSnapshot) == 2


@pytest.fixture
def runner(
    clean_db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    monkeypatch.setenv("PAPERBOY_DATABASE_URL", clean_db.url.render_as_string(hide_password=False))
    monkeypatch.setenv("PAPERBOY_VAR_DIR", str(tmp_path / "var"))
    for name in ("PAPERBOY_BROKER_URL", "PAPERBOY_REDIS_URL", "PAPERBOY_HF_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_ingest_file_with_hostile_items_exits_0_stores_all_and_explains(
    runner: CliRunner, clean_db: Engine, tmp_path: Path
) -> None:
    dump = tmp_path / "hostile.json"
    dump.write_text(json.dumps([*hostile_batch(), {"paper": {"id": "nope"}}]), encoding="utf-8")

    result = runner.invoke(cli, ["ingest", "--file", str(dump), "--no-enrich"])

    assert result.exit_code == 0, result.output
    assert "fetched 8, new 7, updated 0, skipped 1" in result.stdout
    assert "hostile.json: item 7" in result.stdout or "hostile.json: nope" in result.stdout
    assert "2509.00005: abstract cut to 10000 characters" in result.stdout
    with Session(clean_db) as session:
        assert _count(session, Paper) == 7
        (run,) = session.scalars(select(IngestRun))
        assert run.status == IngestRunStatus.SUCCEEDED
        assert run.skipped == 1


def test_values_dropped_as_invalid_are_noted_not_lost_in_silence() -> None:
    paper = parse_item(
        item(
            "2509.00001",
            submittedOnDailyAt="2025-13-45T00:00:00.000Z",
            publishedAt="not a date",
            upvotes=1.5e308,
        ),
        0,
    )

    assert isinstance(paper, ParsedPaper)
    assert (paper.featured_on, paper.published_at, paper.upvotes) == (None, None, 0)
    noted = " | ".join(paper.notes)
    for field in ("submittedOnDailyAt dropped", "publishedAt dropped", "upvotes dropped"):
        assert field in noted, noted


def test_an_impossible_published_date_is_noted_where_it_is_dropped() -> None:
    paper = parse_item(item("2509.00001", publishedAt="2026-04-08T00:00:00.000Z"), 0)

    assert isinstance(paper, ParsedPaper) and paper.published_at is None
    assert paper.notes == ("publishedAt dropped: 2026-04-08 cannot be this paper's",)


@pytest.mark.parametrize("title", ["\u200b\u200b", "\u202e", " \u200d\u2066 "])
def test_a_title_that_shows_nothing_is_no_title(title: str) -> None:
    skipped = parse_item(item("2509.00001", title=title), 0)

    assert isinstance(skipped, SkippedItem) and skipped.reason == "no title"


def test_bidi_overrides_and_zero_width_spaces_are_removed_joiners_kept() -> None:
    paper = parse_item(
        item(
            "2509.00001",
            title="Deep\u200b Learning \u202eof Things\u202c",
            authors=[{"name": "Mallory \u202e"}, {"name": "Sa\u200cra"}],
            ai_keywords=["\u2066gnp.exe\u2069"],
        ),
        0,
    )

    assert isinstance(paper, ParsedPaper)
    assert paper.title == "Deep Learning of Things"
    assert paper.authors == ["Mallory", "Sa\u200cra"]  # ZWNJ: part of how names are written
    assert paper.ai_keywords == ["gnp.exe"]
