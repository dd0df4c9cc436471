"""A reader steering their digest: the "more / fewer like this" links of every pick,
and their digest on the web ("View in browser").

The GET of a link only asks (mail scanners follow links; nothing is recorded);
the page's one button POSTs. Like the one-click unsubscribe, the POST needs no
CSRF token: the signed link is the reader's authority, and all it can do is
record, repeat or undo one word about one paper.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.db import utcnow
from app.editions.digests import render_sent_digest
from app.errors import NotFound
from app.models import Edition
from app.subscriptions.brought import take_back_feedback
from app.subscriptions.feed import reader_feed
from app.subscriptions.papers import (
    LINK_KINDS,
    feedback_target,
    item_link_reader,
    record_feedback,
)
from app.subscriptions.service import subscriber_for_token
from app.subscriptions.tokens import TokenPurpose, subscriber_link
from app.web.deps import SessionDep, StateDep
from app.web.rendering import render

router = APIRouter(include_in_schema=False)

NOINDEX = {"X-Robots-Tag": "noindex, nofollow"}


def _kind(kind: str) -> str:
    if kind not in LINK_KINDS:
        raise NotFound("There is no such page.")
    return kind


@router.get("/feedback/{kind}/{token}", response_class=HTMLResponse)
def feedback_page(
    request: Request, kind: str, token: str, session: SessionDep, state: StateDep
) -> Response:
    target = feedback_target(session, token=token, secret_key=state.secret_key)
    context = {"kind": _kind(kind), "paper": target.paper, "token": token}
    response = render(request, "web/feedback.html", context)
    response.headers.update(NOINDEX)
    return response


@router.post("/feedback/{kind}/{token}", response_class=HTMLResponse)
def give_feedback(
    request: Request, kind: str, token: str, session: SessionDep, state: StateDep
) -> Response:
    """Record "more" or "fewer" (again: no change), or ``undo`` it."""
    target = feedback_target(session, token=token, secret_key=state.secret_key)
    subscriber, arxiv_id = target.subscriber, target.paper.arxiv_id
    if kind == "undo":
        take_back_feedback(session, subscriber=subscriber, arxiv_id=arxiv_id)
    else:
        record_feedback(
            session,
            subscriber=subscriber,
            arxiv_id=arxiv_id,
            kind=LINK_KINDS[_kind(kind)],
            edition_id=target.edition_id or None,
        )
    manage_url = subscriber_link(
        TokenPurpose.MANAGE,
        base_url=state.settings.base_url,
        secret_key=state.secret_key,
        subscriber_id=subscriber.id,
        token_version=subscriber.token_version,
    )
    context = {"kind": kind, "paper": target.paper, "token": token, "manage_url": manage_url}
    response = render(request, "web/feedback_done.html", context)
    response.headers.update(NOINDEX)
    return response


@router.get("/view/{token}", response_class=HTMLResponse)
def view_in_browser(request: Request, token: str, session: SessionDep, state: StateDep) -> Response:
    """The reader's digest of one edition, as mailed (not for search engines)."""
    subscriber, claims = item_link_reader(
        session, purpose=TokenPurpose.VIEW, token=token, secret_key=state.secret_key
    )
    edition = session.get(Edition, claims.edition_id)
    rendered = (
        render_sent_digest(session, subscriber=subscriber, edition=edition, settings=state.settings)
        if edition is not None
        else None
    )
    if rendered is None:
        raise NotFound("This digest is no longer available.")
    html = rendered.html.replace(
        "<head>", '<head><meta name="robots" content="noindex, nofollow">', 1
    )
    return HTMLResponse(html, headers=NOINDEX)


@router.get("/feed/{token}.atom")
def personal_feed(request: Request, token: str, session: SessionDep, state: StateDep) -> Response:
    """The reader's picks of the last 30 days, with their reasons (Atom)."""
    subscriber = subscriber_for_token(
        session, token=token, purpose=TokenPurpose.FEED, secret_key=state.secret_key
    )
    self_url = f"{state.settings.base_url.rstrip('/')}/feed/{token}.atom"
    body = reader_feed(session, subscriber=subscriber, self_url=self_url, now=utcnow())
    return Response(body, media_type="application/atom+xml", headers=NOINDEX)
