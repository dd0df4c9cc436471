from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import pytest
import scipy.sparse as sp

from app.ranking import (
    PreparedEdition,
    RankingParams,
    SubscriberProfile,
    explain,
    prepare_edition,
    rank_subscribers,
)
from app.ranking.candidates import CandidatePaper, Digest
from app.ranking.feedback import MIN_CLICKS, blend_weight
from app.ranking.lexical import FIELD_WEIGHTS, K1, B
from app.topics import TOPICS
from tests.ranking.papers import EDITION, NOW, paper

SPECULATIVE = {"2509.00001", "2509.00002"}
VIDEO = {"2509.00004", "2509.00005"}
ROBOTS = {"2509.00006", "2509.00007"}


def rank(*profiles: SubscriberProfile, params: RankingParams | None = None) -> list[Digest]:
    edition = prepare_edition(EDITION, now=NOW)
    return rank_subscribers(edition, list(profiles), params=params)


def ids(digest: Digest) -> list[str]:
    return [pick.arxiv_id for pick in digest.picks]


def _row(matrix: sp.csr_matrix, i: int) -> dict[int, float]:
    row = matrix.getrow(i)
    return dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))


def _dot(a: dict[int, float], b: dict[int, float]) -> float:
    return sum(value * b.get(term, 0.0) for term, value in a.items())


def _naive_bm25(edition: PreparedEdition, query: dict[int, float]) -> list[float]:
    """Okapi BM25 of one query over the candidates, term by term, paper by paper."""
    fields = edition.index.field_counts(EDITION)
    papers = [
        {
            term: sum(
                w * _row(f, j).get(term, 0.0) for w, f in zip(FIELD_WEIGHTS, fields, strict=True)
            )
            for term in set().union(*(_row(f, j) for f in fields))
        }
        for j in range(len(EDITION))
    ]
    lengths = [sum(p.values()) for p in papers]
    average = sum(lengths) / len(lengths)
    n = len(papers)
    scores = []
    for paper_terms, length in zip(papers, lengths, strict=True):
        score = best = 0.0
        for term in query:
            df = sum(term in p for p in papers)
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            best += idf * (K1 + 1)
            tf = paper_terms.get(term, 0.0)
            score += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average))
        scores.append(score / best)
    return scores


def test_vectorised_scores_match_a_naive_per_pair_reference() -> None:
    params = RankingParams(prf_docs=2, prf_weight=0.5, mmr_lambda=1.0, acronym_weight=0.0)
    interests = [
        "speculative decoding for faster inference",
        "camera control in video diffusion",
        "robot imitation learning",
    ]
    profiles = [
        SubscriberProfile(key=n, interests=t, k=len(EDITION)) for n, t in enumerate(interests)
    ]
    edition = prepare_edition(EDITION, now=NOW)
    digests = rank_subscribers(edition, profiles, params=params)

    papers = [_row(edition.vectors, j) for j in range(len(EDITION))]
    latent_papers = edition.latent_vectors.tolist()
    for profile, digest in zip(profiles, digests, strict=True):
        query_vector = edition.index.transform_texts([profile.interests])
        lexical = _naive_bm25(edition, _row(query_vector, 0))
        latent_query = edition.latent.embed([profile.interests], query_vector)[0].tolist()
        latent = [
            max(0.0, sum(a * b for a, b in zip(latent_query, row, strict=True)))
            for row in latent_papers
        ]
        share = params.latent_share
        interest = [
            (1 - share) * c + share * v * max(lexical) / max(latent)
            for c, v in zip(lexical, latent, strict=True)
        ]
        interest = [value / max(interest) for value in interest]
        top = sorted(range(len(papers)), key=lambda j: -interest[j])[: params.prf_docs]
        expanded = [
            interest[j]
            + params.prf_weight * sum(_dot(papers[t], papers[j]) for t in top) / len(top)
            for j in range(len(papers))
        ]
        best = max(expanded)
        expected = {
            EDITION[j].arxiv_id: (1 - params.trend_weight) * expanded[j] / best
            + params.trend_weight * float(edition.trending[j])
            for j in range(len(papers))
        }
        assert not digest.trending_fallback
        assert [p.score for p in digest.picks] == pytest.approx(
            [expected[p.arxiv_id] for p in digest.picks], abs=1e-5
        )
        assert ids(digest) == sorted(expected, key=lambda i: -expected[i])


def test_each_subscriber_gets_the_papers_matching_their_interests_first() -> None:
    speculative, video, robots = rank(
        SubscriberProfile(1, "speculative decoding", k=2),
        SubscriberProfile(2, "video generation with diffusion", k=2),
        SubscriberProfile(3, "", topics=["robotics"], k=2),
    )
    assert set(ids(speculative)) == SPECULATIVE
    assert set(ids(video)) == VIDEO
    assert set(ids(robots)) == ROBOTS


def test_every_pick_says_which_interest_it_matched() -> None:
    (digest,) = rank(SubscriberProfile(1, "speculative decoding", k=2))
    assert all("*speculative decoding*" in pick.why for pick in digest.picks)
    (digest,) = rank(SubscriberProfile(2, "", topics=["robotics"], k=1))
    assert digest.picks[0].why.startswith(f"Matches your topic *{TOPICS['robotics'].label}*")


def test_digest_has_k_picks_and_never_more_than_there_are_papers() -> None:
    three, everything = rank(
        SubscriberProfile(1, "video", k=3), SubscriberProfile(2, "video", k=50)
    )
    assert len(three.picks) == 3
    assert len(everything.picks) == len(EDITION)
    assert len(set(ids(everything))) == len(EDITION)


def test_papers_already_sent_are_never_picked_again() -> None:
    sent = ["2509.00001", "2509.00004", "2509.00008"]
    (digest,) = rank(
        SubscriberProfile(1, "speculative decoding", already_sent=sent, k=len(EDITION))
    )
    assert not set(sent) & set(ids(digest))
    assert len(digest.picks) == len(EDITION) - len(sent)


def test_empty_interests_fall_back_to_trending_and_say_so() -> None:
    (digest,) = rank(SubscriberProfile(1, "   ", k=3))
    assert digest.trending_fallback
    assert ids(digest)[0] == "2509.00008"  # the most upvoted paper of the day
    assert all(pick.why.startswith("No interests set yet") for pick in digest.picks)
    assert "#1 trending today, 120 upvotes" in digest.picks[0].why


def test_interests_that_match_nothing_fall_back_to_trending_and_say_so() -> None:
    (digest,) = rank(SubscriberProfile(1, "medieval poetry and falconry", k=3))
    assert digest.trending_fallback
    assert all(pick.why.startswith("Nothing today closely matched") for pick in digest.picks)


@pytest.mark.parametrize(
    "interests",
    [
        "🤖🚀✨",
        "生成模型 与 视频",
        "Décodage spéculatif 🚀 vidéo",
        "\x00\t\n",
        "a" * 10_000,
        "'; DROP",
    ],
)
def test_emoji_and_other_languages_never_crash(interests: str) -> None:
    (digest,) = rank(SubscriberProfile(1, interests, k=3))
    assert len(digest.picks) == 3
    assert all(pick.why for pick in digest.picks)


def test_an_unknown_seed_paper_is_ignored_with_a_note() -> None:
    (digest,) = rank(SubscriberProfile(1, "", seed_papers=["2509.00004", "9999.99999"], k=2))
    assert digest.notes == ["note: seed paper 9999.99999 is not one we know yet, so it was ignored"]
    # The known seed still counts: the other video paper comes first, the seed itself never.
    assert ids(digest)[0] == "2509.00005"
    assert "2509.00004" not in ids(digest)
    assert (
        "Because you liked *Diffusion Transformers for Long Video Generation*"
        in digest.picks[0].why
    )


def test_clicks_lift_the_kind_of_paper_clicked() -> None:
    # Past papers the subscriber opened (video) and ignored (inference), not in today's edition.
    history = [
        paper(
            f"2508.0000{n}", f"Video diffusion model number {n}", "Generating video with diffusion."
        )
        for n in range(6)
    ] + [
        paper(f"2508.0010{n}", f"Language model inference trick {n}", "Faster inference of LLMs.")
        for n in range(6)
    ]
    edition = prepare_edition(EDITION, corpus=history, now=NOW)
    base = SubscriberProfile(1, "efficient inference of language models, video generation", k=4)
    few = replace(base, clicked=[p.arxiv_id for p in history[: MIN_CLICKS - 1]])
    enough = replace(
        base,
        clicked=[p.arxiv_id for p in history[:6]],
        shown_not_clicked=[p.arxiv_id for p in history[6:]],
    )
    before, with_few, after = rank_subscribers(edition, [base, few, enough])

    def video_over_inference(digest: Digest) -> float:
        score = {p.arxiv_id: p.score for p in digest.picks}
        return score["2509.00005"] / score["2509.00002"]

    assert ids(after)[0] in VIDEO
    assert video_over_inference(before) < video_over_inference(with_few)
    assert video_over_inference(before) < video_over_inference(after)


def test_click_model_weight_starts_at_five_clicks_and_is_capped() -> None:
    assert blend_weight(MIN_CLICKS - 1) == 0.0
    assert 0.0 < blend_weight(MIN_CLICKS) < blend_weight(15) <= 0.6
    assert blend_weight(1000) == 0.6


def test_an_edition_without_candidates_gives_empty_digests() -> None:
    edition = prepare_edition([], now=NOW)
    (digest,) = rank_subscribers(edition, [SubscriberProfile(1, "video")])
    assert digest.picks == []


def test_duplicate_candidates_are_ranked_once() -> None:
    edition = prepare_edition([*EDITION, EDITION[0]], now=NOW)
    (digest,) = rank_subscribers(edition, [SubscriberProfile(1, "speculative", k=20)])
    assert len(ids(digest)) == len(set(ids(digest))) == len(EDITION)


def test_results_do_not_depend_on_chunking_and_an_edition_can_be_reused() -> None:
    profiles = [
        SubscriberProfile(n, text, topics=["robotics"] if n % 2 else [], k=4)
        for n, text in enumerate(["video", "speculative decoding", "", "robots", "kv cache"] * 3)
    ]
    edition = prepare_edition(EDITION, now=NOW)
    whole = rank_subscribers(edition, profiles)
    chunked = rank_subscribers(edition, profiles, params=RankingParams(chunk_size=2))
    # The same picks and reasons; scores up to float32 rounding (BLAS sums a batch's
    # latent products in an order that depends on the batch's size).
    assert [ids(d) for d in whole] == [ids(d) for d in chunked]
    assert [[p.why for p in d.picks] for d in whole] == [[p.why for p in d.picks] for d in chunked]
    assert [p.score for d in whole for p in d.picks] == pytest.approx(
        [p.score for d in chunked for p in d.picks], abs=1e-6
    )


def reason_for(
    interests: str, papers: list[CandidatePaper], corpus: Sequence[CandidatePaper] = ()
) -> str:
    edition = prepare_edition(papers, corpus=corpus, now=NOW)
    (digest,) = rank_subscribers(edition, [SubscriberProfile(1, interests, k=1)])
    return digest.picks[0].why.split(";")[0]


def test_a_match_on_one_word_of_a_phrase_says_it_is_that_part_of_the_phrase() -> None:
    # The paper holds "faster" alone (no paper writes "LLM" or "inference"): naming the
    # reader's whole phrase would claim a match the paper does not make.
    papers = [
        paper("2509.00101", "Faster Kernels", "Faster kernels, faster serving, faster."),
        paper("2509.00102", "Tabular Benchmarks", "Spreadsheets and tables."),
    ]
    assert reason_for("Faster LLM inference", papers) == (
        "Matches *Faster*, part of your interest in *Faster LLM inference*"
    )


def test_a_paper_that_holds_only_some_words_of_a_phrase_others_hold_is_named_by_them() -> None:
    # "LLM" and "inference" are words of the corpus, but not of the optimiser paper.
    papers = [
        paper("2509.00101", "A Faster Optimiser", "Training converges faster; faster still."),
        paper("2509.00103", "Serving LLM Inference", "LLM inference engines for serving."),
        paper("2509.00102", "Tabular Benchmarks", "Spreadsheets and tables."),
    ]
    edition = prepare_edition(papers, now=NOW)
    (digest,) = rank_subscribers(edition, [SubscriberProfile(1, "faster LLM inference", k=2)])
    why = {pick.arxiv_id: pick.why.split(";")[0] for pick in digest.picks}
    assert why["2509.00101"] == "Matches *faster*, part of your interest in *faster LLM inference*"
    assert why["2509.00103"] == (
        "Matches *LLM inference*, part of your interest in *faster LLM inference*"
    )


def test_a_paper_that_holds_every_word_of_the_phrase_is_named_by_the_whole_phrase() -> None:
    papers = [
        paper("2509.00101", "Faster LLM Inference", "Faster inference for every LLM we serve."),
        paper("2509.00102", "Tabular Benchmarks", "Spreadsheets and tables."),
    ]
    assert reason_for("faster LLM inference", papers) == (
        "Matches your interest in *faster LLM inference*"
    )


def test_of_several_phrases_the_one_holding_the_match_names_it() -> None:
    papers = [
        paper("2509.00101", "Decoding at Scale", "Decoding with drafts, decoding again."),
        paper("2509.00102", "Tabular Benchmarks", "Spreadsheets and tables."),
    ]
    assert reason_for("LLM agents, fast decoding; video", papers) == (
        "Matches *decoding*, part of your interest in *fast decoding*"
    )


def test_a_two_word_match_is_named_as_the_reader_spelled_it() -> None:
    # The index knows the phrase as "chain thought" (and papers write chain-of-thought).
    papers = [
        paper("2509.00101", "Chain-of-Thought Prompting Revisited", "We study chain-of-thought."),
        paper("2509.00102", "Tabular Benchmarks", "Spreadsheets and tables."),
    ]
    assert reason_for("chain of thought", papers) == "Matches your interest in *chain of thought*"


def test_a_sentence_of_interests_is_named_by_its_matched_words_alone() -> None:
    papers = [
        paper("2509.00101", "Humanoid Robots Walking", "Humanoid robots learn to walk."),
        paper("2509.00102", "Tabular Benchmarks", "Spreadsheets and tables."),
    ]
    sentence = "I would like to read about new ideas for Humanoid Robots and their control"
    assert reason_for(sentence, papers) == "Matches your interest in *Humanoid Robots*"


def test_a_match_through_an_acronym_is_named_by_the_phrase_holding_the_acronym() -> None:
    # The candidate never writes "RAG"; a paper of the corpus defines it, so the query
    # gains the long form's words, and the match on them is the reader's "RAG" phrase.
    papers = [
        paper(
            "2509.00101",
            "Retrieval-Augmented Generation for Code",
            "Retrieval-augmented generation retrieves documents before generation.",
        ),
        paper("2509.00102", "Tabular Benchmarks", "Spreadsheets and tables."),
    ]
    corpus = [
        paper(
            "2509.00103",
            "A Survey",
            "We review retrieval-augmented generation (RAG) for question answering.",
        )
    ]
    assert reason_for("video, better RAG", papers, corpus) == (
        "Matches *RAG*, part of your interest in *better RAG*"
    )


def test_reasons_stay_right_when_the_edition_forgets_the_phrases_it_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    profiles = [
        SubscriberProfile(n, text, k=3)
        for n, text in enumerate(
            ["Video generation, robots", "speculative decoding", "Robots; video", "KV cache"] * 3
        )
    ]
    remembered = rank_subscribers(prepare_edition(EDITION, now=NOW), profiles)
    monkeypatch.setattr(explain, "PHRASES_KEPT", 2)
    small = RankingParams(chunk_size=2)
    forgetful = rank_subscribers(prepare_edition(EDITION, now=NOW), profiles, params=small)
    assert [[p.why for p in d.picks] for d in forgetful] == [
        [p.why for p in d.picks] for d in remembered
    ]
    # Each reader's own spelling, phrase by phrase ("Robots", then "video").
    assert [p.why.split(";")[0] for p in forgetful[2].picks] == [
        "Matches your interest in *Robots*",
        "Matches your interest in *Robots*",
        "Matches your interest in *video*",
    ]


def test_a_pair_formed_across_a_comma_is_named_by_a_phrase_holding_one_of_its_words() -> None:
    # "Speculative, decoding drafts" counts the pair "speculative decoding", which no
    # phrase of the reader's holds: the reason names one that holds one of its words.
    papers = [
        paper("2509.00101", "Speculative Decoding at Scale", "Speculative decoding, faster."),
        paper("2509.00102", "Tabular Benchmarks", "Spreadsheets and tables."),
    ]
    assert reason_for("Speculative, decoding drafts", papers) == (
        "Matches your interest in *Speculative*"
    )


def test_stars_in_the_reader_s_words_do_not_break_the_emphasis() -> None:
    papers = [
        paper("2509.00101", "Speculative Decoding at Scale", "Speculative decoding with drafts."),
        paper("2509.00102", "Tabular Benchmarks", "Spreadsheets and tables."),
    ]
    assert reason_for("*Speculative* decoding", papers) == (
        "Matches your interest in *Speculative decoding*"
    )


def test_a_large_k_gets_that_many_picks_beyond_the_mmr_short_list() -> None:
    many = [paper(f"2509.1{n:04d}", f"Video paper {n}", "video diffusion") for n in range(40)]
    edition = prepare_edition(many, now=NOW)
    params = RankingParams(shortlist=5)
    (digest,) = rank_subscribers(edition, [SubscriberProfile(1, "video", k=30)], params=params)
    assert len(digest.picks) == 30


def test_a_disliked_paper_pushes_papers_like_it_down_and_a_liked_one_pulls_them_up() -> None:
    base = SubscriberProfile(1, "video generation, speculative decoding", k=4)
    # "Fewer like this" on one video paper: it is never sent again (already_sent) and
    # the other video paper falls below where it was.
    disliked = replace(base, disliked=["2509.00004"], already_sent=["2509.00004"])
    # "More like this" on the same paper: a liked paper joins the seeds.
    liked = replace(base, seed_papers=["2509.00004"])
    plain, fewer, more = rank(base, disliked, liked)
    assert "2509.00005" in ids(plain)
    assert "2509.00004" not in ids(fewer) + ids(more)

    # Scores are scaled per reader over the papers they can still get (the best is 1),
    # so each is compared with the same reader who simply had 2509.00004 already.
    [seen] = rank(replace(base, already_sent=["2509.00004"]))

    def score(digest: Digest) -> float:
        return next((p.score for p in digest.picks if p.arxiv_id == "2509.00005"), -1.0)

    assert score(fewer) < score(seen)
    # A liked paper sharpens the interest rather than replacing it (the ranking issue):
    # its neighbour stays among the picks and says why.
    [liked_like] = [p for p in more.picks if p.arxiv_id == "2509.00005"]
    assert liked_like.why.startswith("Because you liked *Diffusion Transformers")
