"""A reader's "More like this" / "Fewer like this" from a received digest, over HTTP."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.db import make_session_factory, transaction
from app.editions.running import send_edition
from app.models import (
    Event,
    EventKind,
    FeedbackKind,
    Paper,
    PaperFeature,
    ReaderFeedback,
    Subscriber,
)
from app.web.app import create_app
from tests.factories import DAY, add_subscriber, first_digest, settings_for
from tests.smtp_server import SMTPTestServer

NEXT_DAY = DAY + timedelta(days=1)


def _path(url: str) -> str:
    parts = urlsplit(url)
    assert parts.scheme in ("http", "https") and parts.netloc == "testserver", url
    return parts.path


def _feedback(engine: Engine) -> list[tuple[str, FeedbackKind]]:
    with Session(engine) as session:
        rows = session.execute(
            select(ReaderFeedback.arxiv_id, ReaderFeedback.kind).order_by(ReaderFeedback.id)
        )
        return [(arxiv_id, kind) for arxiv_id, kind in rows]


def _clicks(engine: Engine) -> int:
    with Session(engine) as session:
        return len(session.scalars(select(Event).where(Event.kind == EventKind.CLICK)).all())


def _title_of(engine: Engine, arxiv_id: str) -> str:
    with Session(engine) as session:
        return session.scalars(select(Paper.title).where(Paper.arxiv_id == arxiv_id)).one()


def test_more_like_this_asks_on_get_records_on_post_once_and_shapes_the_next_digest(
    clean_db: Engine, smtp_server: SMTPTestServer, tmp_path: Path
) -> None:
    settings, factory, _, received = first_digest(clean_db, smtp_server, tmp_path)
    html_part = received.message.get_body(("html",))
    text_part = received.message.get_body(("plain",))
    assert html_part is not None and text_part is not None
    html, text = html_part.get_content(), text_part.get_content()
    cards = html.count('class="title"')
    mail_more = re.findall(r'<a href="(http://testserver/c/[^"]+)"[^>]*>More like this</a>', html)
    mail_fewer = re.findall(r'<a href="(http://testserver/c/[^"]+)"[^>]*>Fewer like this</a>', html)
    # Every paper of the digest (picks and trending) has both links, each its own.
    assert cards >= 7 and len(mail_more) == len(mail_fewer) == cards == len(set(mail_more))
    assert text.count("More like this: http://testserver/c/") == cards
    app = create_app(settings, engine=clean_db)
    titles = re.findall(r'class="title"[^>]*><a [^>]*>([^<]+)</a>', html)

    # The last card is a trending paper, on none of the reader's interests.
    with TestClient(app) as browser:
        # The mail's links go through the click redirect to the reader's feedback page for
        # that paper; following them records neither a click nor any feedback.
        def page_of(link: str) -> str:
            hop = browser.get(_path(link), follow_redirects=False)
            assert hop.status_code == 302, hop.text
            return str(hop.headers["location"])

        more = [page_of(link) for link in mail_more]
        fewer = [page_of(link) for link in mail_fewer]
        assert all(link.startswith("http://testserver/feedback/more/") for link in more)
        assert all(link.startswith("http://testserver/feedback/fewer/") for link in fewer)
        assert len(set(more)) == cards and _clicks(clean_db) == 0

        # A link scanner's GET: a page with one button, nothing recorded.
        page = browser.get(_path(more[-1]))
        assert page.status_code == 200
        assert "More papers like this one?" in page.text and titles[-1] in page.text
        assert f'action="{_path(more[-1])}"' in page.text
        assert 'name="robots" content="noindex' in page.text
        assert _feedback(clean_db) == []

        # A tampered token is a 404 page, and records nothing either.
        token = more[-1].rsplit("/", 1)[1]
        tampered = (
            _path(more[-1])[: -len(token)] + token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
        )
        for response in (browser.get(tampered), browser.post(tampered)):
            assert response.status_code == 404 and "not valid" in response.text
        assert browser.get(_path(more[-1]).replace("/more/", "/undo/")).status_code == 404

        # The button's POST (no CSRF token, like one-click unsubscribe) records; again: no change.
        thanks = browser.post(_path(more[-1]))
        assert thanks.status_code == 200 and "Thanks, noted" in thanks.text
        assert "Undo" in thanks.text and "/manage/" in thanks.text
        [(liked, kind)] = _feedback(clean_db)
        assert kind == FeedbackKind.LIKE and _title_of(clean_db, liked) == titles[-1]
        assert browser.post(_path(more[-1])).status_code == 200
        assert _feedback(clean_db) == [(liked, FeedbackKind.LIKE)]

        # Undo forgets it; "Fewer like this" then records a dislike of another paper.
        undo = browser.post(_path(more[-1]).replace("/more/", "/undo/"))
        assert undo.status_code == 200 and "Undone" in undo.text
        assert _feedback(clean_db) == []
        assert browser.post(_path(more[-1])).status_code == 200
        assert browser.post(_path(fewer[1])).status_code == 200
    [(_, like), (disliked, dislike)] = _feedback(clean_db)
    assert (like, dislike) == (FeedbackKind.LIKE, FeedbackKind.DISLIKE)

    # The next edition: new papers, one on the liked paper's subject and one on the disliked one's.
    sources = [_title_of(clean_db, liked), _title_of(clean_db, disliked)]
    with transaction(factory) as session:
        for n, title in enumerate(sources):
            paper = Paper(
                arxiv_id=f"2511.3000{n}", title=f"{title}: a follow-up", upvotes=5, abstract=title
            )
            session.add(paper)
            session.flush()
            session.add(PaperFeature(paper_id=paper.id, featured_on=NEXT_DAY))
    send_edition(settings, factory, edition_date=NEXT_DAY)
    latest = [m for m in smtp_server.messages_to("reader@example.org") if m is not received]
    [second] = latest
    body = second.message.get_body(("plain",))
    assert body is not None
    second_text = body.get_content()
    assert f"Because you liked *{_title_of(clean_db, liked)}*" in " ".join(second_text.split())
    assert disliked not in second_text


def test_the_digest_reads_as_a_reader_counts_it(
    clean_db: Engine, smtp_server: SMTPTestServer, tmp_path: Path
) -> None:
    *_, received = first_digest(clean_db, smtp_server, tmp_path)
    html_part = received.message.get_body(("html",))
    text_part = received.message.get_body(("plain",))
    assert html_part is not None and text_part is not None
    html, text = html_part.get_content(), text_part.get_content()
    cards = html.count('class="title"')
    # The subject counts every paper inside, picks and trending alike.
    assert received.message["Subject"].startswith(f"{cards} papers for you")
    # A trending item says its rank and what it weighs, and its upvotes once (on the card).
    trending = text.split("TRENDING TODAY", 1)[1]
    assert "trending today (votes weighed by their pace and age)" in trending
    assert "trending today, " not in trending
    # Every link of a card and of the footer is at least 44 px tall to tap.
    for paragraph in re.findall(r'<p class="(?:links|feedback)"[^>]*>', html):
        assert "line-height: 44px" in paragraph
    assert re.search(r'line-height: 44px;"><a href="http://testserver/manage/', html)


def test_view_in_browser_shows_the_mailed_digest_to_its_reader_only(
    clean_db: Engine, smtp_server: SMTPTestServer, tmp_path: Path
) -> None:
    settings, *_, received = first_digest(clean_db, smtp_server, tmp_path)
    html_part = received.message.get_body(("html",))
    text_part = received.message.get_body(("plain",))
    assert html_part is not None and text_part is not None
    html, text = html_part.get_content(), text_part.get_content()
    [view] = set(re.findall(r'href="(http://testserver/view/[^"]+)"[^>]*>View in browser', html))
    assert f"View in browser: {view}" in text
    mailed_titles = re.findall(r'class="title"[^>]*><a [^>]*>([^<]+)</a>', html)
    mailed_reasons = re.findall(r'class="why"[^>]*>(.*?)</p>', html)
    with TestClient(create_app(settings, engine=clean_db)) as browser:
        page = browser.get(_path(view))
        token = view.rsplit("/", 1)[1]
        tampered = browser.get(_path(view)[: -len(token)] + token[:-3] + "xyz")
    assert page.status_code == 200
    assert page.headers["X-Robots-Tag"].startswith("noindex")
    assert '<meta name="robots" content="noindex' in page.text
    # The same papers, in the same order, with the same reasons as the mail.
    assert re.findall(r'class="title"[^>]*><a [^>]*>([^<]+)</a>', page.text) == mailed_titles
    assert re.findall(r'class="why"[^>]*>(.*?)</p>', page.text) == mailed_reasons
    assert "/c/" not in page.text  # no click tracking on the web copy
    assert tampered.status_code == 404


def test_the_personal_atom_feed_lists_the_picks_with_reasons_linked_from_mail_and_manage(
    clean_db: Engine, smtp_server: SMTPTestServer, tmp_path: Path
) -> None:
    from html import unescape as html_unescape
    from xml.etree import ElementTree

    settings, *_, received = first_digest(clean_db, smtp_server, tmp_path)
    html_part = received.message.get_body(("html",))
    assert html_part is not None
    html = html_part.get_content()
    [feed] = set(re.findall(r'href="(http://testserver/feed/[^"]+\.atom)"', html))
    [manage] = set(re.findall(r'href="(http://testserver/manage/[^"]+)"', html))
    mailed_titles = re.findall(r'class="title"[^>]*><a [^>]*>([^<]+)</a>', html)
    with TestClient(create_app(settings, engine=clean_db)) as browser:
        response = browser.get(_path(feed))
        manage_page = browser.get(_path(manage)).text
        forged = browser.get(_path(feed).replace(".atom", "x.atom"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    atom = "{http://www.w3.org/2005/Atom}"
    root = ElementTree.fromstring(response.content)
    entries = root.findall(f"{atom}entry")
    assert [e.findtext(f"{atom}title") for e in entries] == [
        html_unescape(" ".join(t.split())) for t in mailed_titles
    ]
    # A title is text in the feed, never markup.
    assert b"<script>" not in response.content
    assert all(e.findtext(f"{atom}summary") for e in entries)
    assert any("Matches your interest" in (e.findtext(f"{atom}summary") or "") for e in entries)
    assert 'id="feed-url"' in manage_page and "/feed/" in manage_page
    assert forged.status_code >= 400


def test_the_manage_page_lists_liked_and_disliked_papers_and_removes_them(
    clean_db: Engine, tmp_path: Path
) -> None:
    from app.subscriptions.papers import record_feedback
    from tests.web.pages import csrf_token, links_of

    settings = settings_for(tmp_path, clean_db)
    with transaction(make_session_factory(clean_db)) as session:
        reader = add_subscriber(session, "reader@example.org")
        record_feedback(session, subscriber=reader, arxiv_id="2511.20001", kind=FeedbackKind.LIKE)
        record_feedback(
            session, subscriber=reader, arxiv_id="2511.20002", kind=FeedbackKind.DISLIKE
        )
    manage = _path(links_of(clean_db, "reader@example.org").manage)
    with TestClient(create_app(settings, engine=clean_db)) as browser:
        page = browser.get(manage).text
        liked = page.split('id="liked"', 1)[1].split('id="disliked"', 1)[0]
        disliked = page.split('id="disliked"', 1)[1]
        assert "More like these" in liked and "2511.20001" in liked
        assert "Fewer like these" in disliked and "2511.20002" in disliked
        removed = browser.post(
            manage, data={"csrf_token": csrf_token(page), "action": "forget:2511.20002"}
        )
        assert removed.status_code == 200 and "no longer steers your digest" in removed.text
        assert "2511.20002" not in removed.text
    assert _feedback(clean_db) == [("2511.20001", FeedbackKind.LIKE)]


def test_feedback_links_of_an_ended_subscription_say_so_and_record_nothing(
    clean_db: Engine, smtp_server: SMTPTestServer, tmp_path: Path
) -> None:
    from app.subscriptions.service import unsubscribe

    settings, factory, reader_id, received = first_digest(clean_db, smtp_server, tmp_path)
    html_part = received.message.get_body(("html",))
    assert html_part is not None
    link = re.findall(
        r'<a href="(http://testserver/c/[^"]+)"[^>]*>More like this</a>', html_part.get_content()
    )[0]
    with transaction(factory) as session:
        unsubscribe(session, subscriber=session.get_one(Subscriber, reader_id))
    with TestClient(create_app(settings, engine=clean_db)) as browser:
        page = browser.get(_path(link))
        answer = browser.post(str(page.url.path))
        undo = browser.post(str(page.url.path).replace("/more/", "/undo/"))
    for response in (page, answer, undo):
        assert response.status_code == 409
        assert "This subscription has ended" in response.text
        assert "next digest" not in response.text
    assert _feedback(clean_db) == []


def test_fewer_like_this_on_a_brought_paper_stops_bringing_it(
    clean_db: Engine, tmp_path: Path
) -> None:
    from app.subscriptions.brought import steering_papers
    from app.subscriptions.papers import record_feedback

    with transaction(make_session_factory(clean_db)) as session:
        reader = add_subscriber(session, "reader@example.org")
        reader.seed_papers = ["2511.20001", "2511.20002"]
        session.flush()
        record_feedback(
            session, subscriber=reader, arxiv_id="2511.20002", kind=FeedbackKind.DISLIKE
        )
        steering = steering_papers(session, subscriber=reader)

    # One word per paper: it is disliked now, no longer brought.
    assert [p.arxiv_id for p in steering.brought] == ["2511.20001"]
    assert [p.arxiv_id for p in steering.disliked] == ["2511.20002"]


def test_the_personal_feed_stays_well_formed_whatever_the_reader_wrote_in_their_interests(
    clean_db: Engine, smtp_server: SMTPTestServer, tmp_path: Path
) -> None:
    """U+FFFE and U+FFFF pass the form (they are no controls) and come back quoted in the
    reasons; XML 1.0 cannot carry them, so one of them made the reader's whole feed
    unreadable to every feed reader."""
    from xml.etree import ElementTree

    from tests.factories import add_papers
    from tests.web.pages import links_of

    settings = settings_for(tmp_path, clean_db, mail_url=smtp_server.url)
    factory = make_session_factory(clean_db)
    with transaction(factory) as session:
        add_papers(session)
        add_subscriber(session, "reader@example.org")
    manage = _path(links_of(clean_db, "reader@example.org").manage).rsplit("/", 1)[1]
    hostile = "speculative\uffff decoding, GUI\ufffe agents, <b>&amp;</b>"
    with TestClient(create_app(settings, engine=clean_db)) as browser:
        changed = browser.patch(f"/api/v1/subscriptions/{manage}", json={"interests": hostile})
        assert changed.status_code == 200, changed.text
        send_edition(settings, factory, edition_date=DAY)
        [received] = smtp_server.messages_to("reader@example.org")
        html_part = received.message.get_body(("html",))
        assert html_part is not None
        [feed] = set(
            re.findall(r'href="(http://testserver/feed/[^"]+\.atom)"', html_part.get_content())
        )
        response = browser.get(_path(feed))
    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)  # raised ParseError: "not well-formed"
    atom = "{http://www.w3.org/2005/Atom}"
    reasons = [e.findtext(f"{atom}summary") or "" for e in root.findall(f"{atom}entry")]
    assert any(r.startswith("Matches your interest in *speculative decoding*") for r in reasons)
    assert "Matches your interest in *GUI agents*" in reasons


def test_undo_after_fewer_like_this_brings_a_brought_paper_back_where_it_was(
    clean_db: Engine, tmp_path: Path
) -> None:
    """The Undo offered right after "Fewer like this" forgot the dislike, but the paper
    it had stopped bringing stayed dropped: the reader's paper was simply lost."""
    from app.subscriptions.brought import steering_papers
    from app.subscriptions.papers import feedback_token
    from tests.factories import TEST_SECRET, add_papers

    settings = settings_for(tmp_path, clean_db)
    factory = make_session_factory(clean_db)
    with transaction(factory) as session:
        papers = add_papers(session, count=4)
        reader = add_subscriber(session, "reader@example.org")
        reader.seed_papers = [p.arxiv_id for p in papers[:3]]
        session.flush()
        token = feedback_token(TEST_SECRET, subscriber=reader, edition_id=0, paper_id=papers[1].id)
        reader_id = reader.id
    with TestClient(create_app(settings, engine=clean_db)) as browser:
        # A double click on the button: the second "fewer" finds it no longer brought.
        for _ in range(2):
            assert browser.post(f"/feedback/fewer/{token}").status_code == 200
        with Session(clean_db) as session:
            dropped = steering_papers(session, subscriber=session.get_one(Subscriber, reader_id))
        assert [p.arxiv_id for p in dropped.brought] == ["2511.20000", "2511.20002"]
        undone = browser.post(f"/feedback/undo/{token}")
    assert undone.status_code == 200 and "Undone" in undone.text
    with Session(clean_db) as session:
        after = steering_papers(session, subscriber=session.get_one(Subscriber, reader_id))
    assert [p.arxiv_id for p in after.brought] == ["2511.20000", "2511.20001", "2511.20002"]
    assert after.disliked == [] and after.liked == []


def test_undo_after_changing_ones_mind_still_brings_the_paper_back(
    clean_db: Engine, tmp_path: Path
) -> None:
    from app.subscriptions.brought import steering_papers
    from app.subscriptions.papers import feedback_token
    from tests.factories import TEST_SECRET, add_papers

    settings = settings_for(tmp_path, clean_db)
    with transaction(make_session_factory(clean_db)) as session:
        papers = add_papers(session, count=2)
        reader = add_subscriber(session, "reader@example.org")
        reader.seed_papers = [papers[0].arxiv_id]
        session.flush()
        token = feedback_token(TEST_SECRET, subscriber=reader, edition_id=0, paper_id=papers[0].id)
        reader_id = reader.id
    with TestClient(create_app(settings, engine=clean_db)) as browser:
        assert browser.post(f"/feedback/fewer/{token}").status_code == 200
        assert browser.post(f"/feedback/more/{token}").status_code == 200
        assert browser.post(f"/feedback/undo/{token}").status_code == 200
    with Session(clean_db) as session:
        after = steering_papers(session, subscriber=session.get_one(Subscriber, reader_id))
    assert [p.arxiv_id for p in after.brought] == ["2511.20000"]
    assert after.liked == [] and after.disliked == []
