"""A reader's personal Atom feed: their picks of the last 30 days, each with its reason.

A reason quotes the reader's own interest text, which may hold characters XML cannot
carry: every text goes through ``xml_text``, as in the site's feed.

``BASE_URL/feed/TOKEN.atom`` (a manage-like token of its own purpose): a reader
who prefers a feed reader can follow it, and it keeps working while email is paused.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Delivery, DeliveryStatus, Paper, Subscriber
from app.papers.feeds import xml_text
from app.subscriptions.tokens import TokenPurpose, token_minter
from app.urls import safe_http_url

FEED_DAYS = 30
ATOM = "http://www.w3.org/2005/Atom"


def feed_url(*, base_url: str, secret_key: str, subscriber: Subscriber) -> str:
    token = token_minter(secret_key, TokenPurpose.FEED)(
        subscriber_id=subscriber.id, token_version=subscriber.token_version
    )
    return f"{base_url.rstrip('/')}/feed/{token}.atom"


def reader_feed(session: Session, *, subscriber: Subscriber, self_url: str, now: datetime) -> str:
    """The Atom document of ``subscriber``'s picks sent in the last ``FEED_DAYS`` days."""
    deliveries: list[tuple[int, datetime, list[dict[str, Any]]]] = [
        (row[0], row[1], row[2] or [])
        for row in session.execute(
            select(Delivery.id, Delivery.sent_at, Delivery.picks)
            .where(
                Delivery.subscriber_id == subscriber.id,
                Delivery.status == DeliveryStatus.SENT,
                Delivery.sent_at >= now - timedelta(days=FEED_DAYS),
            )
            .order_by(Delivery.sent_at.desc(), Delivery.id.desc())
        )
    ]
    ids = {pick["arxiv_id"] for _, _, picks in deliveries for pick in picks}
    papers = {p.arxiv_id: p for p in session.scalars(select(Paper).where(Paper.arxiv_id.in_(ids)))}
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = "Paperboy: your picks"
    ET.SubElement(feed, f"{{{ATOM}}}id").text = self_url
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_url)
    updated = deliveries[0][1] if deliveries else now
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = updated.isoformat()
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = "Paperboy"
    for delivery_id, sent_at, picks in deliveries:
        for pick in picks:
            paper = papers.get(pick["arxiv_id"])
            if paper is None:
                continue
            entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
            ET.SubElement(entry, f"{{{ATOM}}}title").text = xml_text(" ".join(paper.title.split()))
            ET.SubElement(
                entry, f"{{{ATOM}}}id"
            ).text = f"{self_url.rsplit('/', 1)[0]}/{delivery_id}/{paper.arxiv_id}"
            link = safe_http_url(paper.hf_url) or f"https://arxiv.org/abs/{paper.arxiv_id}"
            ET.SubElement(entry, f"{{{ATOM}}}link", href=link)
            ET.SubElement(entry, f"{{{ATOM}}}updated").text = sent_at.isoformat()
            ET.SubElement(entry, f"{{{ATOM}}}summary").text = xml_text(str(pick.get("why", "")))
    return ET.tostring(feed, encoding="unicode", xml_declaration=True)
