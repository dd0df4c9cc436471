"""The fallback reader for the Daily Papers web page.

The page embeds the same items the JSON API returns, as JSON in the
``data-props`` attribute of ``<div data-target="DailyPapers">``. We read that
attribute with the standard library's HTML parser (which also unescapes it).
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

from app.ingest.errors import FetchError


class _PropsFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.props: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.props is not None:
            return
        values = dict(attrs)
        if values.get("data-target") == "DailyPapers" and values.get("data-props"):
            self.props = values["data-props"]


def daily_papers_from_html(html: str) -> list[object]:
    """The Daily Papers items embedded in the papers page; ``FetchError`` if there are none."""
    finder = _PropsFinder()
    finder.feed(html)
    finder.close()
    if finder.props is None:
        raise FetchError("the papers page has no DailyPapers data (its layout changed?)")
    try:
        props = json.loads(finder.props)
    except json.JSONDecodeError as error:
        raise FetchError(f"the papers page's DailyPapers data is not JSON ({error})") from error
    items = props.get("dailyPapers") if isinstance(props, dict) else None
    if not isinstance(items, list):
        raise FetchError("the papers page's DailyPapers data has no dailyPapers list")
    return items
