"""Hugging Face Daily Papers: the day's featured papers, from the JSON API or the page.

``GET {api}?date=YYYY-MM-DD&p=N&limit=L`` is read page by page until an empty
page. Should the API fail (after retries) while huggingface.co is reachable,
the papers page for that date is read instead (``hf_page``).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import date

from app.ingest.errors import FetchError, SourceUnreachable
from app.ingest.http import HttpFetcher
from app.ingest.parse import parse_daily_papers
from app.ingest.progress import Progress
from app.ingest.sources import SourceBatch
from app.ingest.sources.hf_page import daily_papers_from_html

log = logging.getLogger(__name__)


class HFDailySource:
    """The papers featured on Hugging Face Daily Papers on a given day."""

    name = "hf_daily"

    def __init__(
        self,
        fetcher: HttpFetcher,
        *,
        api_url: str,
        page_url: str,
        token: str | None = None,
        page_size: int = 100,
        max_pages: int = 20,
    ) -> None:
        self._fetcher = fetcher
        self._api_url = api_url
        self._page_url = page_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"} if token else None
        self._page_size = page_size
        self._max_pages = max_pages

    def fetch_day(self, day: date, *, progress: Progress) -> SourceBatch:
        notes = []
        from_page = False
        try:
            items = self._fetch_api(day, progress)
        except SourceUnreachable:
            raise  # the page lives on the same host: no point trying it
        except FetchError as api_error:
            log.warning("daily papers API failed for %s: %s; reading the page", day, api_error)
            try:
                items = self._fetch_page(day)
            except FetchError as page_error:
                raise FetchError(f"{api_error}; the papers page failed too: {page_error}") from None
            notes.append(f"JSON API failed ({api_error}); read the papers page instead")
            from_page = True
        parsed = parse_daily_papers(items)
        if from_page:
            # A date without papers redirects to the latest day's page: keep only our day.
            parsed.papers = [p for p in parsed.papers if p.featured_on in (day, None)]
        # An item without submittedOnDailyAt was still listed for the day we asked for.
        papers = [
            p if p.featured_on else dataclasses.replace(p, featured_on=day) for p in parsed.papers
        ]
        return SourceBatch(self.name, papers, parsed.skipped, observes_counts=True, notes=notes)

    def _fetch_api(self, day: date, progress: Progress) -> list[object]:
        items: list[object] = []
        seen: set[str] = set()
        progress.stage(f"Daily Papers {day}", None)
        for page in range(self._max_pages):
            response = self._fetcher.get(
                self._api_url,
                params={"date": day.isoformat(), "p": page, "limit": self._page_size},
                headers=self._headers,
            )
            try:
                data = response.json()
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                raise FetchError(f"malformed JSON from {response.request.url} ({error})") from None
            if not isinstance(data, list):
                raise FetchError(f"expected a JSON array from {response.request.url}")
            progress.advance()
            if not data:
                break
            ids = {_item_id(item) for item in data} - {None}
            if ids and ids <= seen:
                break  # the API ignored the page number: we already have these
            seen |= {i for i in ids if i}
            items.extend(data)
        return items

    def _fetch_page(self, day: date) -> list[object]:
        response = self._fetcher.get(f"{self._page_url}/date/{day.isoformat()}")
        return daily_papers_from_html(response.text)


def _item_id(item: object) -> str | None:
    if isinstance(item, dict) and isinstance(item.get("paper"), dict):
        value = item["paper"].get("id")
        return value if isinstance(value, str) else None
    return None
