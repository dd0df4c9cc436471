"""JSON columns read back what was stored, on both backends, whichever parser reads them."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import json_loads
from app.models import Paper

STORED = [
    ["Ada Lovelace", "Grace Hopper"],
    ["ünïcödé ✓", "emoji 🧪", 'quote " and backslash \\'],
    [10**30, -(10**25)],  # past 64 bits: orjson refuses, json reads it
    [1.5, 0.1, 1e-300, 12345678901234567890.0],
    [],
    [{"nested": [None, True, False]}],
]


@pytest.mark.parametrize("value", STORED)
def test_a_json_column_reads_back_what_was_stored(session: Session, value: list[object]) -> None:
    paper = Paper(arxiv_id="2511.99999", title="T", abstract="", authors=value)
    session.add(paper)
    session.flush()
    session.expire_all()
    assert session.scalar(select(Paper.authors).where(Paper.id == paper.id)) == value


@pytest.mark.parametrize(
    "document",
    ['{"a": [1, 2.5, "x"]}', "[NaN, Infinity, -Infinity]", '"\\ud800 lone"', str(2**70), "[]"],
)
def test_json_loads_reads_what_the_standard_library_reads(document: str) -> None:
    expected = json.loads(document)
    got = json_loads(document)
    assert repr(got) == repr(expected)  # repr: NaN is not equal to itself
    assert json_loads(document.encode()) == got or repr(json_loads(document.encode())) == repr(got)


def test_json_loads_refuses_what_the_standard_library_refuses() -> None:
    with pytest.raises(json.JSONDecodeError):
        json_loads("{not json")


_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats()
    | st.text()
)
_documents = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None)
@given(_documents, st.booleans())
def test_json_loads_is_the_standard_library_on_any_document(value: object, ascii: bool) -> None:
    document = json.dumps(value, ensure_ascii=ascii)
    assert repr(json_loads(document)) == repr(json.loads(document))
    assert repr(json_loads(document.encode("utf-8", "surrogatepass"))) == repr(
        json.loads(document.encode("utf-8", "surrogatepass"))
    )
