"""Which arXiv paper a reference names, in every shape readers bring them."""

from __future__ import annotations

import pytest

from app.ingest.references import UnreadableReference, arxiv_id_mentioned, read_reference


def wide(text: str) -> str:
    """``text`` in full-width forms, as an East Asian input method types it."""
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


@pytest.mark.parametrize(
    ("reference", "arxiv_id"),
    [
        ("2511.19827", "2511.19827"),
        ("2511.19827v3", "2511.19827"),
        ("  arXiv:2511.19827  ", "2511.19827"),
        ("0704.0001", "0704.0001"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("hep-th/9901001v2", "hep-th/9901001"),
        ("arXiv:math.AG/0601001", "math.AG/0601001"),
        ("https://arxiv.org/abs/2511.19827", "2511.19827"),
        ("https://arxiv.org/abs/2511.19827v2", "2511.19827"),
        ("http://arxiv.org/pdf/2511.19827v1.pdf", "2511.19827"),
        ("https://arxiv.org/pdf/2511.19827", "2511.19827"),
        ("https://arxiv.org/html/2511.19827v1", "2511.19827"),
        ("https://arxiv.org/html/2511.19827v1/#S2", "2511.19827"),
        ("https://export.arxiv.org/abs/hep-th/9901001v1", "hep-th/9901001"),
        ("https://huggingface.co/papers/2511.19827", "2511.19827"),
        ("<https://huggingface.co/papers/2511.19827>", "2511.19827"),
        ("10.48550/arXiv.2511.19827", "2511.19827"),
        ("doi:10.48550/ARXIV.2511.19827", "2511.19827"),
        ("https://doi.org/10.48550/arXiv.2511.19827", "2511.19827"),
        # Full-width digits and dot, as an East Asian input method types them.
        (wide("2511") + "." + wide("19827"), "2511.19827"),
        (wide("2511.19827v2"), "2511.19827"),
        ("1412.7753", "1412.7753"),
    ],
)
def test_ids_links_and_dois_name_the_paper_without_its_version(
    reference: str, arxiv_id: str
) -> None:
    assert read_reference(reference) == arxiv_id


@pytest.mark.parametrize(
    ("reference", "reason"),
    [
        ("javascript:alert(1)", "not a web link"),
        ("data:text/html,<script>alert(1)</script>", "not a web link"),
        ("https://user:secret@arxiv.org/abs/2511.19827", "only plain http and https links"),
        ("https://arxiv.org/list/cs.LG/recent", "not to one paper's page"),
        ("https://huggingface.co/papers", "not to one paper's page"),
        ("https://example.org/2511.19827", "not to an arXiv or Hugging Face paper page"),
        ("10.1109/CVPR.2016.90", "not of an arXiv paper"),
        ("2511.198", "not an arXiv id"),
        ("2511.1982", "not an arXiv id"),  # four digits after the dot ended with 1412
        ("1412.77530", "not an arXiv id"),  # ... and five began with 1501
        ("2513.00001", "not an arXiv id"),  # no 13th month
        ("2500.00001", "not an arXiv id"),
        (
            "\u0662\u0665\u0661\u0661.\u0661\u0669\u0668\u0662\u0667",
            "not an arXiv id",
        ),  # Arabic-Indic
        ("Attention is all you need", "not an arXiv id"),
        ("x" * 5000, "too long"),
    ],
)
def test_what_names_no_arxiv_paper_says_why(reference: str, reason: str) -> None:
    with pytest.raises(UnreadableReference, match=reason):
        read_reference(reference)


@pytest.mark.parametrize(
    ("text", "arxiv_id"),
    [
        ("arXiv preprint arXiv:1706.03762", "1706.03762"),
        ("arXiv:2106.09685 [cs]", "2106.09685"),
        ("see https://arxiv.org/abs/2401.00001.", "2401.00001"),
        ("arXiv: hep-th/9802150", "hep-th/9802150"),
        ("Proceedings of CVPR 2016", None),
        ("page 1706.03762 of something", None),
        ("arXiv:" + wide("2106.09685"), "2106.09685"),
    ],
)
def test_an_arxiv_paper_is_found_inside_free_text(text: str, arxiv_id: str | None) -> None:
    assert arxiv_id_mentioned(text) == arxiv_id
