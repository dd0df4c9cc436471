"""Bodies spliced from pieces encoded once per edition decode to exactly the rendered text."""

from __future__ import annotations

import quopri

from hypothesis import given, settings
from hypothesis import strategies as st

from app.mailer.pieces import EncodedBody, Static, dot_stuffed, encode_pieces, quoted_printable


def test_spliced_pieces_decode_to_the_joined_text_with_short_lines() -> None:
    pieces = [
        Static("<p>" + "A long literal line of HTML é " * 8 + "</p>\n<p>"),
        "https://paperboy.example.org/c/1f.0p.AbCdEf",
        Static("</p>\n"),
        "a=b ",
        "Matches your interest in <em>speculative decoding</em>",
        Static(". starts with a dot\n.\n"),
        "ünïcödé reason",
    ]
    encoded = encode_pieces(pieces)
    assert quopri.decodestring(encoded).decode().replace("\r\n", "\n") == "".join(pieces)
    lines = encoded.split(b"\r\n")
    assert max(len(line) for line in lines) <= 76
    assert b"\n" not in encoded.replace(b"\r\n", b"")  # CRLF only


def test_a_static_piece_keeps_its_encoding() -> None:
    piece = Static("caf\u00e9 = coffee\n")
    assert piece == "caf\u00e9 = coffee\n"
    assert piece.qp == quoted_printable(piece) == b"caf=C3=A9 =3D coffee\r\n"


def test_chosen_topics_are_named_by_their_label_in_the_digest() -> None:
    from app.editions.digests import interest_phrases
    from app.models import Subscriber

    reader = Subscriber(email="r@example.org", interests="GUI agents", topics=["llm"])
    assert interest_phrases(reader) == ["GUI agents", "Large language models"]


class _FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_throttle_spaces_messages_at_the_configured_rate() -> None:
    from app.editions.throttle import Throttle

    clock = _FakeClock()
    throttle = Throttle(4.0, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        throttle.wait()
    # The first message goes at once; each next one waits a quarter second.
    assert clock.slept == [0.25, 0.25, 0.25, 0.25]
    assert clock.now == 101.0


def test_throttle_of_zero_never_waits() -> None:
    from app.editions.throttle import Throttle

    clock = _FakeClock()
    throttle = Throttle(0.0, clock=clock, sleep=clock.sleep)
    for _ in range(100):
        throttle.wait()
    assert clock.slept == []


_PIECE = st.one_of(
    st.text(alphabet=st.sampled_from(list("ab .=\n\t\u00e9\u4e2d/:-_")), max_size=120),
    st.sampled_from([".", "https://x.example/c/1f-0.2m.Ab_-", "." + "x" * 74, "a=b", "end "]),
)


@given(st.lists(st.tuples(st.booleans(), _PIECE), max_size=12))
@settings(max_examples=300, deadline=None)
def test_pieces_for_smtp_are_the_body_dot_stuffed_and_decode_to_the_text(
    parts: list[tuple[bool, str]],
) -> None:
    pieces = [Static(text) if static else text for static, text in parts] or [""]
    plain = encode_pieces(pieces)
    # Stuffing piece by piece is stuffing the whole body, byte for byte.
    assert encode_pieces(pieces, smtp=True) == dot_stuffed(plain)
    assert quopri.decodestring(plain).decode().replace("\r\n", "\n") == "".join(pieces)
    assert max(len(line) for line in plain.split(b"\r\n")) <= 76
    assert b"\n" not in plain.replace(b"\r\n", b"")


def test_a_tracked_link_goes_in_as_it_is() -> None:
    link = "https://paperboy.example.org/c/1f-1.0p.AbCdEf_-12"
    body = EncodedBody([Static('<a href="'), link, Static('">')])
    assert body.dynamic == [link.encode()]
    assert body.plain() == b'<a href=3D"=\r\n' + link.encode() + b'=\r\n">'
    dots = [".a dot", Static("\n"), "."]
    assert encode_pieces(dots, smtp=True) == b"..a dot=\r\n\r\n=\r\n.."
