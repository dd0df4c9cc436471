"""The site's search and "similar papers" rank with the digest ranker on one fitted space."""

from __future__ import annotations

from datetime import UTC, datetime

from app.ranking import SubscriberProfile, prepare_edition, rank_subscribers
from app.ranking.candidates import CandidatePaper
from app.ranking.search import fit_search_space, rank_query, similar_papers

NOW = datetime(2025, 11, 28, tzinfo=UTC)
PAPERS = [
    CandidatePaper("1", "Speculative decoding with draft trees", "Faster LLM inference."),
    CandidatePaper("2", "KV cache compression for long contexts", "Memory for LLM inference."),
    CandidatePaper("3", "Video diffusion with consistent characters", "Text-to-video generation."),
    CandidatePaper("4", "Robot manipulation with vision-language-action models", "Robots."),
    CandidatePaper("5", "GUI agents that learn from screenshots", "Computer use agents."),
    CandidatePaper("6", "Speculative decoding revisited", "Draft models for LLM inference."),
]


def test_a_query_ranks_like_a_subscriber_with_those_interests() -> None:
    query = "speculative decoding for faster inference"
    space = fit_search_space(PAPERS)
    searched = rank_query(space, PAPERS, query, now=NOW, k=3)
    digest = rank_subscribers(prepare_edition(PAPERS, now=NOW), [SubscriberProfile(0, query, k=3)])
    assert [p.arxiv_id for p in searched] == [p.arxiv_id for p in digest[0].picks]
    assert {p.arxiv_id for p in searched[:2]} == {"1", "6"}


def test_a_query_that_matches_nothing_finds_nothing_rather_than_the_trending_list() -> None:
    assert rank_query(fit_search_space(PAPERS), PAPERS, "zyxwvut", now=NOW, k=3) == []
    assert rank_query(fit_search_space(PAPERS), [], "speculative", now=NOW, k=3) == []


def test_similar_papers_leave_the_paper_itself_out() -> None:
    space = fit_search_space(PAPERS)
    similar = similar_papers(space, PAPERS[0], PAPERS, k=2)
    assert similar[0].arxiv_id == "6"
    assert "1" not in [p.arxiv_id for p in similar]
