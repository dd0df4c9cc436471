"""Who may keep a copy: nothing that carries a reader's token is left in a shared cache."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine

from app.web.app import create_app
from tests.factories import first_digest
from tests.smtp_server import SMTPTestServer
from tests.web.pages import csrf_token


def _kept_by_nobody(response: Response) -> bool:
    directives = {d.strip() for d in response.headers.get("cache-control", "").split(",")}
    return {"private", "no-store"} <= directives


def test_every_answer_that_carries_a_readers_token_is_kept_by_no_shared_cache(
    clean_db: Engine, smtp_server: SMTPTestServer, tmp_path: Path
) -> None:
    settings, *_, received = first_digest(clean_db, smtp_server, tmp_path)
    part = received.message.get_body(("html",))
    assert part is not None
    html = part.get_content()
    urls = set(re.findall(r'href="(http://testserver/[^"]+)"', html))
    paths = {urlsplit(url).path for url in urls}
    reader_paths = sorted(
        p for p in paths if p.startswith(("/manage/", "/unsubscribe/", "/view/", "/feed/"))
    )
    assert len(reader_paths) == 4, paths
    client = TestClient(create_app(settings, clean_db), follow_redirects=False)
    [more, *_] = re.findall(r'<a href="http://testserver(/c/[^"]+)"[^>]*>More like this', html)
    hop = client.get(more)
    feedback = urlsplit(hop.headers["location"]).path
    assert feedback.startswith("/feedback/more/")
    manage = next(p for p in reader_paths if p.startswith("/manage/"))
    token = manage.removeprefix("/manage/")
    answers = {path: client.get(path) for path in [*reader_paths, feedback]}
    answers["the click's redirect"] = hop
    answers["the feedback POST"] = client.post(feedback)
    answers["the API's subscription"] = client.get(f"/api/v1/subscriptions/{token}")
    answers["the manage form's redirect"] = client.post(
        manage, data={"csrf_token": csrf_token(answers[manage]), "action": "pause"}
    )
    for what, answer in answers.items():
        assert answer.status_code in (200, 302, 303), (what, answer.status_code)
        assert _kept_by_nobody(answer), (what, answer.headers.get("cache-control"))


def test_forms_and_error_pages_are_private_and_the_public_site_and_static_files_are_not(
    client: TestClient,
) -> None:
    for path in ("/", "/manage/WzEsMV0.forged.token", "/no-such-page", "/healthz"):
        assert _kept_by_nobody(client.get(path)), path
    client.get("/papers")  # the CSRF cookie set: the public site's pages are shared
    assert client.get("/papers").headers["cache-control"] == "public, max-age=300"
    style = client.get("/static/style.css")
    assert style.status_code == 200 and "no-store" not in style.headers.get("cache-control", "")
