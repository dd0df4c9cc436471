"""A reader brings papers: on the manage page (CSRF-protected forms) and in the JSON API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.db import make_session_factory, transaction
from app.models import Subscriber
from tests.factories import add_papers, add_subscriber, clear_queue, queued_jobs
from tests.web.conftest import MakeClient
from tests.web.pages import csrf_token, links_of, path_of

LIBRARY = Path(__file__).parents[1] / "subscriptions" / "fixtures" / "my-library.bib"
ARXIV_IN_LIBRARY = [
    "1706.03762",
    "2211.17192",
    "1810.04805",
    "2006.11239",
    "2106.09685",
    "hep-th/9802150",
    "2511.19827",
    "1412.6980",
]
LOOKUP_JOB = ("ingest.fetch_brought_papers", [])


@pytest.fixture
def reader(clean_db: Engine, redis_url: str, make_client: MakeClient) -> Iterator[TestClient]:
    """A browser on the app (jobs go to a broker nobody reads: the queue shows them)."""
    with transaction(make_session_factory(clean_db)) as session:
        add_papers(session)
        add_subscriber(session, "reader@example.org")
    clear_queue(redis_url)
    yield make_client(broker_url=redis_url, rate_limit_enabled=False)
    clear_queue(redis_url)


def _brought(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(Subscriber.seed_papers).where(Subscriber.email == "reader@example.org")
            ).one()
        )


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _manage(engine: Engine) -> str:
    return path_of(links_of(engine, "reader@example.org").manage)


def test_importing_a_real_world_bibtex_adds_its_arxiv_papers_and_lists_what_it_skipped(
    reader: TestClient, clean_db: Engine, redis_url: str
) -> None:
    manage = _manage(clean_db)
    page = reader.get(manage)
    assert page.status_code == 200 and f'action="{manage}/papers#steering"' in page.text

    done = reader.post(
        f"{manage}/papers",
        data={"csrf_token": csrf_token(page), "references": ""},
        files={"library": ("my-library.bib", LIBRARY.read_bytes(), "application/x-bibtex")},
    )

    assert done.status_code == 200
    assert _brought(clean_db) == ARXIV_IN_LIBRARY
    report = _text(done.text.split('id="bring-report"', 1)[1].split("</div>", 1)[0])
    assert "Added 8 papers." in report and "You bring 8 of at most 100." in report
    assert "8 are new to us and being fetched from arXiv." in report
    assert "Skipped 4:" in report
    for skipped in (
        "he2016deep: Deep residual learning for image recognition — its DOI is not an arXiv one",
        "goodfellow2016deep: Deep Learning — no arXiv id, arXiv link or arXiv DOI",
        "broken2024 — could not be read as BibTeX",
        "sneaky2025: A link that is not one — not a web link",
    ):
        assert skipped in report
    # The brought papers are listed, newest first, each waiting for arXiv, with a Remove button.
    listed = done.text.split('id="brought"', 1)[1].split('id="liked"', 1)[0]
    assert re.findall(r'data-arxiv-id="([^"]+)"', listed) == ARXIV_IN_LIBRARY[::-1]
    assert listed.count("waiting for arXiv") == 8
    assert listed.count('value="unbring:') == 8
    assert "(8 of 100)" in listed
    # The arXiv lookup was enqueued by name once the request committed.
    assert queued_jobs(redis_url) == [LOOKUP_JOB]

    # Importing the same file again adds nothing and says the papers were there.
    again = reader.post(
        f"{manage}/papers",
        data={"csrf_token": csrf_token(done)},
        files={"library": ("my-library.bib", LIBRARY.read_bytes(), "text/plain")},
    )
    assert "No paper added." in _text(again.text) and "8 were there already." in _text(again.text)
    assert _brought(clean_db) == ARXIV_IN_LIBRARY


def test_typed_ids_and_links_are_brought_and_one_is_removed_with_its_button(
    reader: TestClient, clean_db: Engine
) -> None:
    manage = _manage(clean_db)
    page = reader.get(manage)
    typed = "2511.20001\nhttps://arxiv.org/pdf/2511.20002v3\njavascript:alert(1)"

    done = reader.post(
        f"{manage}/papers", data={"csrf_token": csrf_token(page), "references": typed}
    )

    assert done.status_code == 200
    assert _brought(clean_db) == ["2511.20001", "2511.20002"]
    report = _text(done.text)
    assert "Added 2 papers." in report
    assert "javascript:alert(1) — not a web link (only http and https links are read)" in report
    assert "<script" not in done.text.split('id="bring-report"', 1)[1].split("</div>", 1)[0]
    # Stored papers are listed by title, linking to their page on the site.
    assert 'href="/papers/2511.20001"' in done.text

    removed = reader.post(
        manage, data={"csrf_token": csrf_token(done), "action": "unbring:2511.20001"}
    )
    assert removed.status_code == 200 and "you no longer bring that paper" in removed.text
    assert _brought(clean_db) == ["2511.20002"]
    assert 'data-arxiv-id="2511.20001"' not in removed.text


def test_bringing_without_the_form_token_is_refused_and_adds_nothing(
    reader: TestClient, clean_db: Engine
) -> None:
    manage = _manage(clean_db)
    reader.get(manage)

    refused = reader.post(f"{manage}/papers", data={"references": "2511.20001"})

    assert refused.status_code == 403
    assert _brought(clean_db) == []


@pytest.mark.parametrize(
    ("upload", "sentence"),
    [
        (b"@misc{a, eprint={2511.00001}}" + b" " * (1024 * 1024), "larger than 1 MB"),
        ("@misc{a, title={Café}, eprint={2511.00001}}".encode("cp1252"), "not UTF-8 text"),
        (bytes(range(256)) * 8, "not UTF-8 text"),
        (b"\x00\x01\x02 binary garbage", "This file is not text"),
    ],
)
def test_a_hostile_file_gets_a_sentence_and_loses_nothing(
    reader: TestClient, clean_db: Engine, redis_url: str, upload: bytes, sentence: str
) -> None:
    manage = _manage(clean_db)
    page = reader.get(manage)
    first = reader.post(
        f"{manage}/papers", data={"csrf_token": csrf_token(page), "references": "2511.20001"}
    )
    assert _brought(clean_db) == ["2511.20001"]

    refused = reader.post(
        f"{manage}/papers",
        data={"csrf_token": csrf_token(first), "references": "2511.20005"},
        files={"library": ("library.bib", upload, "application/octet-stream")},
    )

    assert refused.status_code == 422
    error = _text(refused.text.split('id="library-error"', 1)[1].split("</p>", 1)[0])
    assert sentence in error
    # Nothing of this request was added, nothing brought before was lost, and what the
    # reader typed is back in the form.
    assert _brought(clean_db) == ["2511.20001"]
    assert ">2511.20005</textarea>" in refused.text


def test_a_body_past_every_limit_is_refused_before_it_is_read_with_a_sentence(
    reader: TestClient, clean_db: Engine
) -> None:
    manage = _manage(clean_db)
    page = reader.get(manage)

    refused = reader.post(
        f"{manage}/papers",
        data={"csrf_token": csrf_token(page)},
        files={"library": ("huge.bib", b"@" * (3 * 1024 * 1024), "text/plain")},
        headers={"Accept": "text/html,application/xhtml+xml"},
    )

    assert refused.status_code == 413
    assert "larger than 1 MB, the most this form takes" in refused.text
    assert _brought(clean_db) == []


def test_the_api_lists_brings_imports_and_removes_papers_by_the_manage_token(
    reader: TestClient, clean_db: Engine, redis_url: str
) -> None:
    token = _manage(clean_db).rsplit("/", 1)[1]
    base = f"/api/v1/subscriptions/{token}/papers"
    assert reader.get(base).json() == {"brought": [], "liked": [], "disliked": [], "limit": 100}

    brought = reader.post(
        base, json={"references": ["2511.20001", "hep-th/9901001", "https://example.org/x"]}
    )
    assert brought.status_code == 200
    body = brought.json()
    assert body["added"] == ["2511.20001", "hep-th/9901001"]
    assert body["waiting"] == ["hep-th/9901001"]
    assert body["skipped"] == [
        {
            "reference": "https://example.org/x",
            "reason": "a link, but not to an arXiv or Hugging Face paper page",
        }
    ]
    assert queued_jobs(redis_url) == [LOOKUP_JOB]

    imported = reader.post(
        f"{base}/import", files={"library": ("my-library.bib", LIBRARY.read_bytes())}
    )
    assert imported.status_code == 200
    assert imported.json()["added"] == ARXIV_IN_LIBRARY
    assert len(imported.json()["skipped"]) == 4 and imported.json()["brought"] == 10

    listed = reader.get(base).json()["brought"]
    assert listed[0] == {"arxiv_id": "2511.20001", "title": listed[0]["title"], "state": "stored"}
    assert listed[0]["title"] and listed[1]["state"] == "waiting"

    removed = reader.delete(f"{base}/hep-th/9901001")
    assert removed.status_code == 200
    assert [p["arxiv_id"] for p in removed.json()["brought"]] == [
        "2511.20001",
        *ARXIV_IN_LIBRARY,
    ]
    # An id is read as it was brought (any version); one that steers nothing is a 404.
    assert reader.delete(f"{base}/{ARXIV_IN_LIBRARY[0]}v3").status_code == 200
    for gone in (ARXIV_IN_LIBRARY[0], "hep-th/9901001", "nonexistent"):
        missing = reader.delete(f"{base}/{gone}")
        assert missing.status_code == 404 and "steers your digest" in missing.json()["detail"]
    assert [p["arxiv_id"] for p in reader.get(base).json()["brought"]] == [
        "2511.20001",
        *ARXIV_IN_LIBRARY[1:],
    ]

    bad_file = reader.post(f"{base}/import", files={"library": ("x.bib", b"\xff\xfe\x00junk")})
    assert bad_file.status_code == 422
    assert reader.get(f"/api/v1/subscriptions/{token[:-3]}xyz/papers").status_code == 404
    paths = reader.get("/openapi.json").json()["paths"]
    assert {
        "/api/v1/subscriptions/{token}/papers",
        "/api/v1/subscriptions/{token}/papers/import",
        "/api/v1/subscriptions/{token}/papers/{arxiv_id}",
    } <= set(paths)
