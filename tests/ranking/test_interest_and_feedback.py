"""What a reader notices about relevance: rare terms, acronyms, phrases, and feedback.

Each test builds a small edition where the right answer is plain to a person.
"""

from __future__ import annotations

from dataclasses import replace

from app.ranking import SubscriberProfile, prepare_edition, rank_subscribers, reader_profile
from app.ranking.candidates import CandidatePaper, Digest
from tests.ranking.papers import NOW, paper

# A day's worth of other papers, so term statistics look like a real edition's.
SUBJECTS = {
    "reasoning": "We study reasoning in large language models step by step on reasoning tasks.",
    "robots": "Robot manipulation policies learn grasping from demonstrations.",
    "vision": "Image segmentation and detection with vision transformers.",
    "proteins": "Protein structure prediction with deep networks.",
    "tables": "Question answering over spreadsheets and tables.",
    "agents": "Web agents browse pages and call tools to finish tasks.",
}
FILLER = [
    paper(
        f"2511.{s}{n:04d}",
        f"{subject.title()} Study {n}: Large Language Models and More",
        abstract,
        upvotes=50 + n,
    )
    for s, (subject, abstract) in enumerate(SUBJECTS.items())
    for n in range(6)
]
GRPO_PAPERS = [
    paper(
        "2510.00101",
        "Stabilising GRPO Training",
        "We make GRPO updates stable with a clipped group baseline for language models.",
        upvotes=3,
    ),
    paper(
        "2510.00102",
        "GRPO Without a Critic at Scale",
        "GRPO replaces the value network with group statistics; we scale it up.",
        upvotes=2,
    ),
]


def ids(digest: Digest) -> list[str]:
    return [pick.arxiv_id for pick in digest.picks]


def rank_one(papers: list[CandidatePaper], profile: SubscriberProfile) -> Digest:
    edition = prepare_edition(papers, now=NOW)
    return rank_subscribers(edition, [profile])[0]


def test_a_narrow_interest_ranks_the_papers_with_its_rare_term_first() -> None:
    digest = rank_one(
        FILLER + GRPO_PAPERS,
        SubscriberProfile(1, "GRPO training of large language models", k=2),
    )
    assert set(ids(digest)) == {"2510.00101", "2510.00102"}
    # Neither paper writes "large": each reason names the part of the phrase it holds.
    phrase = "part of your interest in *GRPO training of large language models*"
    assert [pick.why for pick in digest.picks] == [
        f"Matches *GRPO training*, {phrase}",
        f"Matches *GRPO*, {phrase}",
    ]


def test_an_acronym_finds_the_paper_that_only_spells_it_out() -> None:
    papers = [
        paper(
            "2510.00201",
            "A Survey of Alignment",
            "Reinforcement learning from human feedback (RLHF) aligns language models.",
        ),
        paper(
            "2510.00202",
            "Reward Hacking in Preference Tuning",
            "We study reinforcement learning from human feedback and its reward hacking.",
        ),
        paper("2510.00203", "Protein Folding", "Proteins fold; we predict structures."),
        paper("2510.00204", "Video Diffusion", "We generate videos with diffusion models."),
    ]
    digest = rank_one(FILLER + papers, SubscriberProfile(1, "RLHF", k=2))
    assert set(ids(digest)) == {"2510.00201", "2510.00202"}
    # And the long form finds the paper that only writes the acronym.
    papers.append(paper("2510.00205", "Cheaper RLHF", "We make RLHF cheaper."))
    long_form = SubscriberProfile(1, "reinforcement learning from human feedback", k=3)
    assert set(ids(rank_one(FILLER + papers, long_form))) == {
        "2510.00201",
        "2510.00202",
        "2510.00205",
    }


def test_a_hyphenated_phrase_beats_its_words_scattered() -> None:
    papers = [
        paper(
            "2510.00301",
            "Zero-Shot Text-to-Speech with Codec Language Models",
            "A text-to-speech system that clones a voice from three seconds of audio.",
        ),
        paper(
            "2510.00302",
            "Speech Emotion and Text Sentiment",
            "We classify the emotion of speech and, separately, the sentiment of text.",
        ),
        paper("2510.00303", "Image Editing", "Edit images with instructions."),
    ]
    digest = rank_one(FILLER + papers, SubscriberProfile(1, "text-to-speech", k=1))
    assert ids(digest) == ["2510.00301"]


# A past the interest text rates alike: diffusion for video and for language.
DIFFUSION = [
    paper(
        "2510.00401",
        "Diffusion Models for Video",
        "Diffusion models generate video frames by denoising.",
    ),
    paper(
        "2510.00402",
        "Diffusion Models for Language",
        "Diffusion models generate language tokens by denoising.",
    ),
    paper("2510.00403", "Protein Folding", "Proteins fold; we predict structures.", upvotes=99),
    paper("2510.00404", "Tabular Benchmarks", "Spreadsheets and tables.", upvotes=80),
]
VIDEO_HISTORY = [
    paper(f"2509.0050{n}", f"Video generation {n}", "Video frames, video motion, camera.")
    for n in range(5)
]
TEXT_HISTORY = [
    paper(f"2509.0060{n}", f"Language tokens {n}", "Language tokens, text, vocabulary.")
    for n in range(5)
]


def test_clicks_bring_the_kind_of_paper_clicked_first_among_those_the_interest_rates_alike() -> (
    None
):
    edition = prepare_edition(DIFFUSION, corpus=VIDEO_HISTORY + TEXT_HISTORY, now=NOW)
    base = SubscriberProfile(1, "diffusion models", k=2)
    video, text = rank_subscribers(
        edition,
        [
            replace(base, clicked=[p.arxiv_id for p in VIDEO_HISTORY]),
            replace(base, clicked=[p.arxiv_id for p in TEXT_HISTORY]),
        ],
    )
    assert ids(video) == ["2510.00401", "2510.00402"]
    assert ids(text) == ["2510.00402", "2510.00401"]
    # Seed papers work the same way.
    (seeded,) = rank_subscribers(edition, [replace(base, seed_papers=[TEXT_HISTORY[0].arxiv_id])])
    assert ids(seeded) == ["2510.00402", "2510.00401"]


def test_feedback_on_another_subject_never_pushes_out_what_the_interest_matches() -> None:
    unrelated = [
        paper(f"2509.0070{n}", f"Protein folding {n}", "Proteins fold; we predict structures.")
        for n in range(6)
    ]
    edition = prepare_edition(DIFFUSION, corpus=unrelated, now=NOW)
    base = SubscriberProfile(1, "diffusion models", k=2)
    plain, clicked, seeded = rank_subscribers(
        edition,
        [
            base,
            replace(base, clicked=[p.arxiv_id for p in unrelated]),
            replace(base, seed_papers=[p.arxiv_id for p in unrelated]),
        ],
    )
    # The protein paper is exactly what the feedback resembles, and the most upvoted.
    assert (
        set(ids(plain))
        == set(ids(clicked))
        == set(ids(seeded))
        == {
            "2510.00401",
            "2510.00402",
        }
    )


def test_feedback_without_interest_text_still_finds_similar_papers() -> None:
    edition = prepare_edition(DIFFUSION, corpus=VIDEO_HISTORY, now=NOW)
    profile = SubscriberProfile(1, "", seed_papers=[p.arxiv_id for p in VIDEO_HISTORY], k=1)
    (digest,) = rank_subscribers(edition, [profile])
    assert ids(digest) == ["2510.00401"]
    assert not digest.trending_fallback


# A reader of speculative decoding who also likes KV-cache papers (which never say
# "speculative"), on a day with two popular papers on other subjects.
SPECULATIVE = [
    paper(
        "2510.00501",
        "Speculative Decoding with Tree Drafts",
        "Speculative decoding drafts tokens with a small model and verifies them.",
    ),
    paper(
        "2510.00502",
        "Speculative Decoding for Code Models",
        "Speculative decoding speeds up code generation with drafted tokens.",
    ),
    paper(
        "2510.00503",
        "KV Cache Compression for Long Contexts",
        "We compress the key-value cache so long contexts fit in memory.",
    ),
    paper("2510.00504", "Video Diffusion at Scale", "We generate video by denoising.", upvotes=90),
    paper("2510.00505", "Tabular Benchmarks", "Questions over spreadsheets.", upvotes=80),
]
KV_HISTORY = [
    paper(f"2509.0080{n}", f"KV cache eviction {n}", "Evicting key-value cache entries, memory.")
    for n in range(4)
]


def score_of(digest: Digest, arxiv_id: str) -> float:
    return next((p.score for p in digest.picks if p.arxiv_id == arxiv_id), -1.0)


def test_liked_papers_bring_up_what_the_interest_missed_without_pushing_out_what_it_matched() -> (
    None
):
    edition = prepare_edition(FILLER + SPECULATIVE, corpus=KV_HISTORY, now=NOW)
    base = SubscriberProfile(1, "speculative decoding", k=3)
    plain, liked = rank_subscribers(
        edition, [base, replace(base, seed_papers=[p.arxiv_id for p in KV_HISTORY])]
    )
    assert "2510.00503" not in ids(plain)
    assert ids(liked)[:2] == ids(plain)[:2]
    assert set(ids(liked)[:2]) == {"2510.00501", "2510.00502"}
    assert ids(liked)[2] == "2510.00503"
    assert liked.picks[2].why.startswith("Because you liked *KV cache eviction")


def test_clicks_count_for_less_than_the_same_papers_liked() -> None:
    edition = prepare_edition(FILLER + SPECULATIVE, corpus=KV_HISTORY, now=NOW)
    history = [p.arxiv_id for p in KV_HISTORY]
    base = SubscriberProfile(1, "speculative decoding", k=len(SPECULATIVE))
    plain, clicked, liked = rank_subscribers(
        edition, [base, replace(base, clicked=history), replace(base, seed_papers=history)]
    )

    def kv_over_speculative(digest: Digest) -> float:
        return score_of(digest, "2510.00503") / score_of(digest, "2510.00501")

    assert kv_over_speculative(plain) < kv_over_speculative(clicked) < kv_over_speculative(liked)


def test_papers_shown_but_not_clicked_do_not_count_against_a_reader_whose_interest_matched() -> (
    None
):
    # Readers rarely click everything relevant: the KV-cache papers they skipped are
    # no evidence against the KV-cache paper of today.
    edition = prepare_edition(FILLER + SPECULATIVE, corpus=KV_HISTORY + TEXT_HISTORY, now=NOW)
    clicks = SubscriberProfile(
        1, "speculative decoding", clicked=[p.arxiv_id for p in TEXT_HISTORY], k=4
    )
    skips = replace(clicks, shown_not_clicked=[p.arxiv_id for p in KV_HISTORY])
    with_clicks, with_skips = rank_subscribers(edition, [clicks, skips])
    assert with_skips.picks == with_clicks.picks


def test_papers_brought_on_two_subjects_find_papers_on_both() -> None:
    proteins = [
        paper("2509.00901", "Protein folding models", "Proteins fold; we predict structures.")
    ]
    edition = prepare_edition(FILLER + SPECULATIVE, corpus=[*KV_HISTORY[:1], *proteins], now=NOW)
    profile = SubscriberProfile(1, "", seed_papers=["2509.00800", "2509.00901"], k=2)
    (digest,) = rank_subscribers(edition, [profile])
    assert not digest.trending_fallback
    picked = set(ids(digest))
    assert "2510.00503" in picked  # the KV-cache paper
    assert picked & {f"2511.3{n:04d}" for n in range(6)}  # a protein paper of the day


def test_a_subject_that_is_a_small_part_of_a_brought_library_is_not_drowned_by_the_rest() -> None:
    # Four KV-cache papers and one protein paper brought, no interest text. Today has the
    # KV-cache paper, papers only loosely like the KV-cache ones (memory, serving), and
    # protein papers much like the one brought: those outrank the loose ones, where the
    # library's centroid alone would weigh the protein subject at a fifth.
    protein = paper(
        "2509.00901",
        "Protein folding models",
        "Proteins fold; we predict structures with deep networks.",
    )
    loose = [
        paper("2510.00601", "Paged Memory for Serving", "Serving requests with paged memory."),
        paper(
            "2510.00602",
            "Cache-Aware Scheduling",
            "A scheduler that keeps hot cache lines for inference requests.",
        ),
        paper("2510.00603", "Memory Footprint of Long Contexts", "Memory used by long contexts."),
    ]
    edition = prepare_edition(FILLER + SPECULATIVE + loose, corpus=[*KV_HISTORY, protein], now=NOW)
    profile = SubscriberProfile(
        1, "", seed_papers=[*(p.arxiv_id for p in KV_HISTORY), protein.arxiv_id], k=3
    )
    (digest,) = rank_subscribers(edition, [profile])
    assert ids(digest)[0] == "2510.00503"  # the KV-cache paper of the day
    proteins_today = [p for p in digest.picks if p.arxiv_id.startswith("2511.3")]
    assert proteins_today
    assert proteins_today[0].why.startswith("Because you liked *Protein folding models")
    assert all(proteins_today[0].score > score_of(digest, p.arxiv_id) for p in loose)


def test_fewer_like_this_spares_papers_as_like_what_the_reader_liked() -> None:
    # Liked: KV-cache papers; disliked: a paper on both KV caches and video.
    disliked = paper(
        "2509.00990", "KV cache for video diffusion", "Key-value cache for video denoising."
    )
    edition = prepare_edition(FILLER + SPECULATIVE, corpus=[*KV_HISTORY, disliked], now=NOW)
    liked = SubscriberProfile(
        1,
        "speculative decoding",
        seed_papers=[p.arxiv_id for p in KV_HISTORY],
        already_sent=[disliked.arxiv_id],
        k=len(SPECULATIVE),
    )
    both = replace(liked, disliked=[disliked.arxiv_id])
    before, after = rank_subscribers(edition, [liked, both])
    # The video paper (like the disliked one only) goes down; the KV-cache paper,
    # as like the liked papers as the disliked one, keeps its score.
    assert score_of(after, "2510.00504") < score_of(before, "2510.00504")
    assert score_of(after, "2510.00503") == score_of(before, "2510.00503")


def test_a_readers_likes_and_dislikes_reach_the_ranker_as_the_send_path_builds_them() -> None:
    edition = prepare_edition(FILLER + SPECULATIVE, corpus=KV_HISTORY, now=NOW)
    profile = reader_profile(
        1,
        interests="speculative decoding",
        liked=[p.arxiv_id for p in KV_HISTORY],
        disliked=["2510.00504"],
        shown=["2510.00501"],
        k=3,
    )
    (digest,) = rank_subscribers(edition, [profile])
    # Shown and disliked papers never come again; liked ones act like seed papers.
    assert not {"2510.00501", "2510.00504"} & set(ids(digest))
    assert any(p.why.startswith("Because you liked *KV cache eviction") for p in digest.picks)
