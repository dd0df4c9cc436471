"""Reading a digest back the way a mail client would, and what must hold of it."""

from __future__ import annotations

import re
from email import policy
from email.errors import NonASCIILocalPartDefect
from email.message import EmailMessage
from email.parser import Parser
from html.parser import HTMLParser
from urllib.parse import urlsplit

# What our templates write (digest.html, paper.html, section.html) and the open pixel.
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "div", "span", "table", "tbody", "tr",
    "td", "th", "h1", "h2", "h3", "p", "a", "em", "strong", "br", "img", "hr", "small", "ul",
    "li", "b", "center",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "href", "style", "class", "lang", "charset", "name", "content", "http-equiv", "role",
    "width", "height", "alt", "src", "border", "cellpadding", "cellspacing", "align",
    "valign", "bgcolor", "aria-hidden", "dir", "id", "xmlns", "target", "rel", "title",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "background", "poster", "srcset"}
_HEADER_NAME = re.compile(rb"[!-9;-~]+:")


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def assert_html_is_ours(html: str) -> list[str]:
    """No markup from the data and no link but http(s); returns every URL in the HTML."""
    assert "<script" not in html.lower()
    parser = _Markup()
    parser.feed(html)
    parser.close()
    urls = []
    for tag, attrs in parser.tags:
        assert tag in ALLOWED_TAGS, f"unexpected <{tag}> in the digest"
        for name, value in attrs:
            assert name in ALLOWED_ATTRIBUTES, f"unexpected attribute {name!r} on <{tag}>"
            if name in URL_ATTRIBUTES:
                assert value is not None
                if value == "#":
                    # The inert placeholder of a digest built without an edition (a
                    # preview has no web copy or feedback to link to): goes nowhere.
                    continue
                assert urlsplit(value.strip()).scheme in ("http", "https"), value
                urls.append(value)
    return urls


def assert_headers_are_single_lines(data: bytes) -> None:
    """Every header line is a ``Name: value`` line or a fold of the one before; no bare CR/LF."""
    head, separator, _ = data.partition(b"\r\n\r\n")
    assert separator, "no end of headers"
    for line in head.split(b"\r\n"):
        assert b"\r" not in line and b"\n" not in line, line
        assert len(line) <= 998, "header line longer than RFC 5322 allows"
        assert line[:1] in (b" ", b"\t") or _HEADER_NAME.match(line), line


def read_message(data: bytes) -> EmailMessage:
    """The message as an RFC 6532 (SMTPUTF8) client reads it; its headers must parse cleanly."""
    assert_headers_are_single_lines(data)
    # Headers are ASCII or, for an international address, UTF-8 (RFC 6532); bodies are QP.
    message = Parser(policy=policy.SMTPUTF8).parsestr(data.decode("utf-8"))
    assert isinstance(message, EmailMessage)
    assert not message.defects, message.defects
    for name, value in message.items():
        assert "\r" not in str(value) and "\n" not in str(value), (name, value)
        # A UTF-8 local part is what RFC 6532 allows (sent only with SMTPUTF8); the
        # standard library still flags it, so that one "defect" is not one here.
        defects = [
            d for d in getattr(value, "defects", ()) if not isinstance(d, NonASCIILocalPartDefect)
        ]
        assert not defects, (name, defects)
    return message


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()
