"""Who may keep a copy of an answer: ``Cache-Control`` for every response.

Unless a route says otherwise, an answer is for its one visitor and nobody keeps
it (``private, no-store``): reader pages carry the reader's token in their links
and forms (manage, /view, /feed, feedback, confirm, unsubscribe, the API's
subscription answers), admin pages an admin's data, and every form a CSRF token.
A shared cache that kept one would hand it to the next visitor. The static files
keep their own validators.

The public site says otherwise, with conditional GET: an ``ETag`` from the body
and ``Cache-Control``. A page carries the visitor's CSRF token (its subscribe
box), so it varies by cookie: ``Vary: Cookie`` lets a proxy keep one copy per visitor, and the first
response of a visit (which sets the cookie) is private. A matching
``If-None-Match`` gets 304 with no body.
"""

from __future__ import annotations

import hashlib

from fastapi import Request, Response

PAGE_MAX_AGE = 300
UNSHARED = "private, no-store"
STATIC_PREFIX = "/static/"


def default_cache_control(path: str) -> str | None:
    """The ``Cache-Control`` of an answer to ``path`` that set none (None: leave it so)."""
    return None if path.startswith(STATIC_PREFIX) else UNSHARED


def _matches(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match", "")
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return etag in tags or "*" in tags


def conditional(request: Request, response: Response, *, per_visitor: bool = True) -> Response:
    """``response`` with validators, or a bodiless 304 when the client already has it."""
    if response.status_code != 200:
        return response
    etag = '"' + hashlib.sha256(bytes(response.body)).hexdigest()[:32] + '"'
    if per_visitor and getattr(request.state, "csrf_new_value", None):
        cache_control = "private, no-cache"
    else:
        cache_control = f"public, max-age={PAGE_MAX_AGE}"
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if per_visitor:
        headers["Vary"] = "Cookie"
    if _matches(request, etag):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return response
