"""A request's Host header never reaches a page: what a shared cache keeps is ours.

Pages, error pages and redirects were built with the host the request named
(Starlette's ``url_for``, its trailing-slash redirect), so one request with
``Host: evil.example`` could leave a cache in front serving everyone a page that
loads that host's stylesheet and scripts. Asset URLs are root-relative; the
absolute ones (canonical, og:url, the reader's feed) come from ``BASE_URL``.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.admin.auth import create_admin_user
from app.db import make_session_factory, transaction
from tests.admin.conftest import sign_in
from tests.factories import add_papers, add_subscriber
from tests.web.conftest import MakeClient
from tests.web.pages import links_of, path_of

EVIL = {"Host": "evil.example", "Accept": "text/html"}
ASSETS = ('href="/static/style.css"', 'href="/static/favicon.svg"', 'src="/static/pages.js"')


def test_public_pages_name_no_host_but_their_own_whatever_the_request_says(
    client: TestClient, clean_db: Engine
) -> None:
    with transaction(make_session_factory(clean_db)) as session:
        [paper, *_] = add_papers(session)
        add_subscriber(session, "reader@example.org")
    links = links_of(clean_db, "reader@example.org")
    pages = {
        "/": 200,
        "/papers": 200,
        f"/papers/{paper.arxiv_id}": 200,
        "/papers/search?q=decoding": 200,
        path_of(links.manage): 200,
        path_of(links.unsubscribe): 200,
        "/confirm/not-a-token": 400,
        "/no-such-page": 404,
    }
    for path, status in pages.items():
        page = client.get(path, headers=EVIL)
        assert page.status_code == status, path
        assert "evil.example" not in page.text, path
        assert all(asset in page.text for asset in ASSETS), path
    paper_page = client.get(f"/papers/{paper.arxiv_id}", headers=EVIL).text
    canonical = f"http://testserver/papers/{paper.arxiv_id}"  # BASE_URL's, not the request's
    assert f'<link rel="canonical" href="{canonical}">' in paper_page
    assert f'<meta property="og:url" content="{canonical}">' in paper_page
    manage = client.get(path_of(links.manage), headers=EVIL).text
    assert 'href="http://testserver/feed/' in manage
    refused = client.post("/subscribe", data={"email": "x@example.org"}, headers=EVIL)
    assert refused.status_code == 403 and "evil.example" not in refused.text


def test_admin_pages_name_no_host_but_their_own_whatever_the_request_says(
    make_client: MakeClient, clean_db: Engine
) -> None:
    client = make_client()
    client.follow_redirects = False
    with transaction(make_session_factory(clean_db)) as session:
        create_admin_user(session, email="admin@paperboy.test", password="a long enough password")
        reader = add_subscriber(session, "reader@example.org")
    assert "evil.example" not in client.get("/admin/login", headers=EVIL).text
    assert sign_in(client, "admin@paperboy.test", "a long enough password").status_code == 303
    for path in ("/admin", "/admin/subscribers", f"/admin/subscribers/{reader.id}"):
        page = client.get(path, headers=EVIL)
        assert page.status_code == 200, path
        assert "evil.example" not in page.text, path
        assert 'src="/static/admin.js"' in page.text, path


def test_a_trailing_slash_redirects_within_the_site_whatever_the_request_says(
    client: TestClient,
) -> None:
    client.follow_redirects = False
    redirected = client.get("/admin/?next=x", headers=EVIL)
    assert (redirected.status_code, redirected.headers["location"]) == (307, "/admin?next=x")
    assert client.get("/no-such-page/", headers=EVIL).status_code == 404
