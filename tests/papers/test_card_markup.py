"""A listed paper's card says what its own page says: the same stats, sparkline and links.

The card macro writes them out itself instead of calling ``stats()`` and ``links()``
(fifty cards a page, and macro calls cost a quarter of their render), so this holds
the two copies equal.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.papers.cards import Link, PaperCard, Sparkline
from app.resources import templates_dir


@pytest.fixture(scope="module")
def macros() -> Any:
    env = Environment(loader=FileSystemLoader(templates_dir()), autoescape=select_autoescape())
    return env.get_template("papers/_macros.html").module


def _card(**changes: Any) -> PaperCard:
    fields: dict[str, Any] = {
        "rank": 1,
        "arxiv_id": "2511.00001",
        "path": "/papers/2511.00001",
        "title": 'Spec <script>alert("x")</script> decoding',
        "organization": "Lab & Co",
        "authors": ["A. Author", "B. Author"],
        "first_authors": ["A. Author", "B. Author"],
        "published_on": date(2025, 11, 20),
        "featured_on": date(2025, 11, 21),
        "upvotes": 1,
        "github_stars": 1,
        "num_comments": 2,
        "summary": "Short.",
        "keywords": ["speculative decoding"],
        "links": [
            Link("arXiv", "https://arxiv.org/abs/2511.00001"),
            Link("Code", 'https://github.com/o/r?a=1&b="2"'),
        ],
        "thumbnail": None,
        "sparkline": Sparkline("0.0,23.0 96.0,1.0", 0, 1, 2),
    }
    fields.update(changes)
    return PaperCard(**fields)


@pytest.mark.parametrize(
    "card",
    [
        _card(),
        _card(upvotes=12, github_stars=None, num_comments=1, sparkline=None, links=[]),
        _card(github_stars=0, sparkline=Sparkline("0.0,12.0 96.0,12.0", 5, 5, 3)),
    ],
    ids=["everything", "nothing-optional", "flat-line"],
)
def test_a_card_shows_the_same_stats_and_links_as_the_paper_page(
    macros: Any, card: PaperCard
) -> None:
    listed = str(macros.card(card))
    stats = str(macros.stats(card))
    links = str(macros.links(card))
    assert stats in listed
    assert "paper-stats" in stats
    if card.links:
        assert links and links in listed
    else:
        assert links == "" and "paper-links" not in listed
    if card.sparkline:
        assert str(macros.sparkline(card.sparkline)) in stats
    else:
        assert "<svg" not in listed
