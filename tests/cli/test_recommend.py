from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli.recommend import recommend
from app.ingest.parse import DumpFileError

PAPERS_FILE = Path(__file__).parents[1] / "ranking" / "data" / "daily_papers_small.json"
PAPER_IDS = {f"2509.0000{n}" for n in range(1, 10)}


def test_recommend_returns_json_ready_picks_best_first() -> None:
    picks = recommend(PAPERS_FILE, "speculative decoding", [], [], 3)
    assert [set(p) for p in picks] == [{"arxiv_id", "score", "why"}] * 3
    assert {picks[0]["arxiv_id"], picks[1]["arxiv_id"]} == {"2509.00001", "2509.00002"}
    assert picks[0]["score"] >= picks[1]["score"]
    assert "*speculative decoding*" in picks[0]["why"]
    json.dumps(picks)  # what the CLI prints with --json


def test_recommend_skips_broken_items_as_ingest_does() -> None:
    picks = recommend(PAPERS_FILE, "", [], [], 50)
    assert {p["arxiv_id"] for p in picks} == PAPER_IDS


def test_recommend_with_empty_interests_is_trending_and_says_so() -> None:
    picks = recommend(PAPERS_FILE, "", [], [], 2)
    assert picks[0]["arxiv_id"] == "2509.00008"
    assert all(p["why"].startswith("No interests set yet") for p in picks)


def test_recommend_notes_an_unknown_seed_paper_in_why() -> None:
    picks = recommend(PAPERS_FILE, "video generation", ["2509.00004", "0000.00000"], [], 2)
    assert "note: seed paper 0000.00000 is not one we know yet" in picks[0]["why"]
    assert "2509.00004" not in {p["arxiv_id"] for p in picks}


def test_recommend_never_repeats_clicked_papers() -> None:
    picks = recommend(PAPERS_FILE, "speculative decoding", [], ["2509.00001"], 3)
    assert "2509.00001" not in {p["arxiv_id"] for p in picks}
    assert picks[0]["arxiv_id"] == "2509.00002"


def test_recommend_refuses_a_file_that_is_not_a_papers_dump(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(DumpFileError):
        recommend(broken, "video", [], [], 3)
