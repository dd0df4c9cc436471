"""Reading a reader's reference-manager export: which entries name arXiv papers, and why not."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.ingest.parse import normalise_arxiv_id
from app.subscriptions.errors import InvalidField
from app.subscriptions.library_files import MAX_ENTRIES, read_library_file

FIXTURES = Path(__file__).parent / "fixtures"


def _read(name: str) -> list[tuple[str, str | None, str | None]]:
    data = (FIXTURES / name).read_bytes()
    return [(r.label, r.arxiv_id, r.reason) for r in read_library_file(data, filename=name)]


def test_a_real_world_bibtex_library_gives_every_arxiv_entry_and_says_why_for_the_rest() -> None:
    entries = _read("my-library.bib")

    found = {label.split(":", 1)[0]: arxiv_id for label, arxiv_id, _ in entries if arxiv_id}
    assert found == {
        "vaswani2017attention": "1706.03762",  # journal = {arXiv preprint arXiv:1706.03762}
        "leviathan2023fast": "2211.17192",  # eprint + archivePrefix, with a version
        "DBLP": "1810.04805",  # DBLP: eprinttype + eprint, CoRR abs/...
        "ho2020denoising": "2006.11239",  # url to the PDF, any version
        "https": "2106.09685",  # doi = {10.48550/ARXIV....} (arXiv's own export)
        "witten1998antide": "hep-th/9802150",  # old-style id in a note
        "trending2025": "2511.19827",  # a Hugging Face paper link
        "kingma2014adam": "1412.6980",  # lower-case archiveprefix, @string in booktitle
    }
    skipped = {
        label.split(":", 1)[0]: reason for label, arxiv_id, reason in entries if not arxiv_id
    }
    assert skipped == {
        "he2016deep": "its DOI is not an arXiv one: only arXiv papers can be brought",
        "goodfellow2016deep": "no arXiv id, arXiv link or arXiv DOI in this entry",
        "broken2024": "could not be read as BibTeX (a brace or a quote is not closed?)",
        "sneaky2025": "not a web link (only http and https links are read)",
    }
    # In file order, titles without their BibTeX braces.
    assert [label for label, _, _ in entries][2].startswith(
        "DBLP:journals/corr/abs-1810-04805: BERT:"
    )


def test_an_ris_export_with_crlf_lines_and_an_entry_that_never_ends() -> None:
    entries = _read("my-library.ris")

    assert entries == [
        ("Attention is all you need", "1706.03762", None),
        ("LoRA: Low-Rank Adaptation of Large Language Models", "2106.09685", None),
        (
            "Deep residual learning for image recognition",
            None,
            "its DOI is not an arXiv one: only arXiv papers can be brought",
        ),
        ("An entry that never ends", None, "the entry has no end line (ER  -)"),
        ("Denoising Diffusion Probabilistic Models", "2006.11239", None),
    ]


def test_a_zotero_csv_export_reads_doi_url_and_extra_but_never_the_abstract() -> None:
    entries = _read("zotero-export.csv")

    assert entries == [
        # The abstract cites 1706.03762: a mention there is not the paper itself.
        ("Fast Inference from Transformers via Speculative Decoding", "2211.17192", None),
        (
            "Deep residual learning for image recognition",
            None,
            "its DOI is not an arXiv one: only arXiv papers can be brought",
        ),
        ("Anti-de Sitter space and holography", "hep-th/9802150", None),
    ]


@pytest.mark.parametrize(
    ("data", "filename", "sentence"),
    [
        (b"", "empty.bib", "This file is empty"),
        (bytes(range(256)) * 64, "library.bib", "not UTF-8 text"),
        ("@article{x, title={Caf\u00e9}}".encode("latin-1"), "library.bib", "not UTF-8 text"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50, "picture.png", "not UTF-8 text"),
        (b"%PDF-1.7\n" + b"\x00" * 100, "paper.pdf", "This file is not text"),
        (b"just a few words of prose, nothing more", "notes.txt", "could not tell what this"),
        (b"name,colour\nalice,blue\n", "people.csv", "has no DOI, Url or Extra column"),
        (b"@misc{a," * (MAX_ENTRIES + 1), "library.bib", f"more than {MAX_ENTRIES:,} entries"),
        # A valid export with nothing in it says so (not "type an id or choose a file").
        (b'"Key","Title","Url"\r\n', "empty.csv", "We found no entries in this file"),
        (b"@comment{exported by JabRef}\n", "empty.bib", "We found no entries in this file"),
        (b'@string{ax = "arXiv"}\n', "strings.bib", "We found no entries in this file"),
    ],
)
def test_a_file_that_is_no_export_is_refused_whole_with_a_sentence(
    data: bytes, filename: str, sentence: str
) -> None:
    with pytest.raises(InvalidField) as refused:
        read_library_file(data, filename=filename)

    assert refused.value.field == "library"
    assert sentence in refused.value.message
    assert refused.value.message.endswith(".")


def test_a_utf16_export_with_its_byte_order_mark_is_read() -> None:
    text = "@misc{a, eprint={2511.19827}, archivePrefix={arXiv}}\n"

    [entry] = read_library_file(text.encode("utf-16"), filename="windows.bib")

    assert entry.arxiv_id == "2511.19827"


_SHAPES = st.sampled_from(
    ["@misc{k, eprint={", "TY  - JOUR\nUR  - ", "Title,DOI,Url,Extra\n", "@article{", "ER  - \n"]
)


@settings(max_examples=150, deadline=None, database=None)
@given(
    head=_SHAPES,
    body=st.one_of(st.binary(max_size=600), st.text(max_size=600).map(str.encode)),
    filename=st.sampled_from(["a.bib", "a.ris", "a.csv", "a.txt", ""]),
)
def test_any_bytes_give_entries_or_one_sentence_never_a_crash(
    head: str, body: bytes, filename: str
) -> None:
    try:
        entries = read_library_file(head.encode() + body, filename=filename)
    except InvalidField as refused:
        assert refused.field == "library" and refused.message.endswith(".")
        return
    for entry in entries:
        # Each entry names a valid arXiv id, or says why it does not.
        assert (entry.arxiv_id is None) != (entry.reason is None)
        assert entry.arxiv_id is None or normalise_arxiv_id(entry.arxiv_id) == entry.arxiv_id
        assert len(entry.label) <= 120


def test_a_zotero_csv_is_counted_by_rows_not_lines() -> None:
    # Zotero quotes multi-paragraph abstracts: 1,500 rows here are 7,500 lines.
    abstract = '"' + "\n\n".join(["A paragraph of the abstract."] * 3) + '"'
    rows = [
        f"K{n},journalArticle,Paper {n},,https://arxiv.org/abs/2511.{10000 + n},{abstract}"
        for n in range(1500)
    ]
    data = ("Key,Item Type,Title,DOI,Url,Abstract Note\n" + "\n".join(rows) + "\n").encode()
    assert data.count(b"\n") > MAX_ENTRIES

    entries = read_library_file(data, filename="My Library.csv")

    assert len(entries) == 1500
    assert entries[-1].arxiv_id == "2511.11499"


def test_a_second_bibtex_entry_under_a_used_key_is_read_like_the_first() -> None:
    data = (
        b'@string{ax = "arXiv"}\n'
        b"@misc{a, title={First}, eprint={2511.16660}, archivePrefix={arXiv}}\n"
        b'@misc{a, title="{Second}", eprint={2511.15552}, archivePrefix=ax}\n'
    )

    entries = read_library_file(data, filename="library.bib")

    assert [(e.label, e.arxiv_id, e.reason) for e in entries] == [
        ("a: First", "2511.16660", None),
        ("a: Second", "2511.15552", None),
    ]
