"""The public Daily Papers site: day, week and month lists, paper pages, search, feeds.

Each route parses its URL, calls one ``app.papers`` query and renders; a date or
an id that names nothing gets the site's 404 page. Pages answer conditional GETs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.db import utcnow
from app.papers.feeds import Document, sitemap, trending_feed
from app.papers.listing import PeriodListing, latest_featured_day, period_listing
from app.papers.paper_page import paper_page
from app.papers.periods import Period, UnknownPeriod, parse_day, parse_month, parse_week
from app.papers.search import MAX_QUERY_CHARS, PERIODS, search
from app.web.caching import conditional
from app.web.deps import SessionDep, StateDep, WriteSessionDep
from app.web.forms import default_values
from app.web.rendering import render

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class PageMeta:
    """What the page's <head> says about it: title, description, canonical path."""

    title: str
    description: str
    path: str
    og_type: str = "website"
    image: str | None = None


def _page(
    request: Request, state: StateDep, template: str, meta: PageMeta, **context: Any
) -> Response:
    subscribe = {**default_values(), "interests": context.pop("interests", "")}
    full = {
        "meta": meta,
        "canonical": state.settings.base_url + meta.path,
        "subscribe": subscribe,
        **context,
    }
    return conditional(request, render(request, template, full))


def not_found(request: Request, message: str) -> Response:
    return render(
        request,
        "papers/not_found.html",
        {"meta": PageMeta("Not found", message, request.url.path), "message": message},
        status_code=404,
    )


def _listing_page(
    request: Request, state: StateDep, listing: PeriodListing, *, path: str
) -> Response:
    period = listing.period
    count = f"{listing.total} paper{'s' if listing.total != 1 else ''}"
    title = f"Trending papers, {period.label}"
    description = (
        f"The {count} featured on Hugging Face Daily Papers, {period.label}, "
        "ranked by upvotes and how fast they rose."
        if listing.total
        else f"No papers were featured on Hugging Face Daily Papers, {period.label}."
    )
    return _page(
        request, state, "papers/listing.html", PageMeta(title, description, path), listing=listing
    )


def _period(
    request: Request, session: SessionDep, state: StateDep, parse: Any, text: str
) -> Response:
    try:
        period: Period = parse(text)
    except UnknownPeriod:
        return not_found(request, f"“{text[:40]}” is not a date we can show.")
    listing = period_listing(session, period, now=utcnow())
    return _listing_page(request, state, listing, path=period.path)


@router.get("/papers", response_class=HTMLResponse)
def latest_day(request: Request, session: SessionDep, state: StateDep) -> Response:
    day = latest_featured_day(session) or utcnow().date()
    listing = period_listing(session, parse_day(day.isoformat()), now=utcnow())
    return _listing_page(request, state, listing, path="/papers")


@router.get("/papers/date/{day}", response_class=HTMLResponse)
def day_page(request: Request, day: str, session: SessionDep, state: StateDep) -> Response:
    return _period(request, session, state, parse_day, day)


@router.get("/papers/week/{week}", response_class=HTMLResponse)
def week_page(request: Request, week: str, session: SessionDep, state: StateDep) -> Response:
    return _period(request, session, state, parse_week, week)


@router.get("/papers/month/{month}", response_class=HTMLResponse)
def month_page(request: Request, month: str, session: SessionDep, state: StateDep) -> Response:
    return _period(request, session, state, parse_month, month)


@router.get("/papers/search", response_class=HTMLResponse)
def search_page(
    request: Request, session: SessionDep, state: StateDep, q: str = "", period: str = "all"
) -> Response:
    query = " ".join(q.split())[:MAX_QUERY_CHARS]
    results = None
    if query:
        results = search(
            session,
            query,
            period=period,
            now=utcnow(),
            corpus_days=state.settings.ranking_corpus_days,
        )
    title = f"Papers about “{query}”" if query else "Search the papers"
    meta = PageMeta(
        title,
        "Search every paper featured on Hugging Face Daily Papers, ranked by relevance.",
        "/papers/search",
    )
    return _page(
        request,
        state,
        "papers/search.html",
        meta,
        query=query,
        period=period if period in PERIODS else "all",
        periods=PERIODS,
        results=results,
        interests=query,
    )


@router.get("/papers/feed.atom")
def feed(request: Request, session: SessionDep, state: StateDep) -> Response:
    document = trending_feed(session, base_url=state.settings.base_url, now=utcnow())
    return _xml(request, document, "application/atom+xml")


@router.get("/sitemap.xml")
def sitemap_xml(request: Request, session: SessionDep, state: StateDep) -> Response:
    return _xml(request, sitemap(session, base_url=state.settings.base_url), "application/xml")


def _xml(request: Request, document: Document, media_type: str) -> Response:
    response = Response(document.body, media_type=f"{media_type}; charset=utf-8")
    return conditional(request, response, per_visitor=False)


@router.get("/papers/{arxiv_id:path}", response_class=HTMLResponse)
def paper(
    request: Request,
    arxiv_id: str,
    session: WriteSessionDep,  # reuses (and stores) the digests-per-paper figure
    state: StateDep,
) -> Response:
    page = paper_page(
        session, arxiv_id[:64], now=utcnow(), corpus_days=state.settings.ranking_corpus_days
    )
    if page is None:
        return not_found(request, "We have no paper with that arXiv id.")
    card = page.card
    interests = ", ".join(card.keywords[:3]) or card.title
    meta = PageMeta(
        card.title,
        card.summary,
        card.path,
        og_type="article",
        image=card.thumbnail,
    )
    return _page(request, state, "papers/paper.html", meta, page=page, interests=interests)
