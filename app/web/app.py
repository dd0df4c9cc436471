"""The FastAPI app factory: middleware, error pages, routers."""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings, get_settings
from app.resources import static_dir, swagger_ui_dir
from app.subscriptions.ratelimit import rate_limiter_for
from app.web.csrf import CSRFError, csrf_cookie_header
from app.web.headers import default_headers
from app.web.rendering import render
from app.web.request_context import RequestContext
from app.web.slashes import redirect_slashes_within_site
from app.web.state import AppState
from app.wording import size_label

log = logging.getLogger(__name__)

# Where readers upload a reference-manager export (the manage page, the API).
READER_UPLOAD_PATHS = (r"/manage/[^/]+/papers", r"/api/v1/subscriptions/[^/]+/papers/import")


class PageHeaders:
    """Security headers on every response, plus the CSRF cookie when the request made one,
    and the default ``Cache-Control`` (app/web/caching.py) where the route set none.

    Served over https (``BASE_URL`` starts with https://), browsers are also told
    to use https only (HSTS) and cookies are marked Secure.

    A plain ASGI middleware: ``@app.middleware("http")`` (BaseHTTPMiddleware)
    costs a task and a memory stream per request, a third of a cheap request.
    """

    def __init__(self, app: ASGIApp, secure_cookies: bool) -> None:
        self.app = app
        self.secure_cookies = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                defaults = default_headers(scope["path"], https=self.secure_cookies)
                for name, value in defaults.items():
                    headers.setdefault(name, value)
                new_value = scope.get("state", {}).get("csrf_new_value")
                if new_value:
                    headers.append("set-cookie", csrf_cookie_header(new_value, self.secure_cookies))
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HeadAsGet:
    """HEAD answered as GET without its body (RFC 9110: every server supports HEAD).

    FastAPI's routes answer GET only, so monitors and link checkers got 405. The
    tracking links are the exception: a scanner's HEAD must not count as a reader's
    click or open, so there HEAD stays refused.
    """

    NOT_FOR = ("/c/", "/o/")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "HEAD"
            or scope["path"].startswith(self.NOT_FOR)
        ):
            await self.app(scope, receive, send)
            return
        finished = False

        async def headers_only(message: Message) -> None:
            nonlocal finished
            if finished:
                return
            if message["type"] == "http.response.body":
                finished = True  # the GET's headers (its length included), no body
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


class BodySizeLimit:
    """Refuse request bodies above ``max_bytes`` with 413 before anything parses them.

    A browser's form post gets a short page saying so, an API client the JSON answer.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        larger_paths: dict[str, int] | None = None,
        larger_patterns: dict[str, int] | None = None,
    ) -> None:
        self.app = app
        self.default_max_bytes = max_bytes
        # Exact paths allowed a bigger body (the admin's CSV upload), and path patterns
        # (a reader's library upload, whose path carries their token).
        self.larger_paths = larger_paths or {}
        self.larger_patterns = [
            (re.compile(pattern), limit) for pattern, limit in (larger_patterns or {}).items()
        ]

    def limit_for(self, path: str) -> int:
        if path in self.larger_paths:
            return self.larger_paths[path]
        for pattern, limit in self.larger_patterns:
            if pattern.fullmatch(path):
                return limit
        return self.default_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.limit_for(scope["path"])
        headers = dict(scope["headers"])
        html = b"text/html" in headers.get(b"accept", b"") and not scope["path"].startswith("/api/")
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await _too_large(send, max_bytes, html)
            return
        received = 0
        too_large = answered = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    too_large = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # A body without a declared length (chunked) is found too large while it is
            # read; FastAPI turns that into its own 400, which becomes the 413 here.
            nonlocal answered
            if not too_large:
                await send(message)
            elif not answered:
                answered = True
                await _too_large(send, max_bytes, html)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _BodyTooLarge:
            if not answered:
                answered = True
                await _too_large(send, max_bytes, html)


class _BodyTooLarge(Exception):
    pass


_TOO_LARGE_PAGE = (
    '<!doctype html><html lang="en"><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>Too large · Paperboy</title><h1>That was too large</h1>"
    "<p>What you sent is larger than {limit}, the most this form takes. Go back and "
    "choose a smaller file (export only the collection you want), or paste the ids "
    "instead. Nothing was changed.</p></html>"
)


async def _too_large(send: Send, max_bytes: int, html: bool) -> None:
    if html:
        body = _TOO_LARGE_PAGE.format(limit=size_label(max_bytes)).encode()
        content_type = b"text/html; charset=utf-8"
    else:
        body = b'{"detail":"Request body too large."}'
        content_type = b"application/json"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", b"%d" % len(body)),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


_API_DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Paperboy API</title>
<link rel="stylesheet" href="/static/swagger-ui/swagger-ui.css">
<link rel="icon" href="/static/favicon.svg">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/static/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</body>
</html>
"""


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """Build the web app for ``settings`` (the process settings when omitted)."""
    settings = settings or get_settings()
    state = AppState.build(settings, engine)
    app = FastAPI(
        title="Paperboy",
        version="1.0",
        description="Personalised daily digests of trending machine-learning papers.",
        docs_url=None,  # served below from the package's own Swagger UI files, no CDN
        redoc_url=None,
    )
    app.state.paperboy = state
    app.state.rate_limiter = rate_limiter_for(
        enabled=settings.rate_limit_enabled, redis_url=settings.redis_url
    )
    secure_cookies = settings.served_over_https

    @app.exception_handler(CSRFError)
    async def csrf_failed(request: Request, error: CSRFError) -> Response:
        log.warning("CSRF check failed for %s: %s", request.url.path, error)
        return render(
            request,
            "web/message.html",
            {
                "title": "This form has expired",
                "message": "Please go back, reload the page and submit the form again.",
            },
            status_code=403,
        )

    @app.exception_handler(OperationalError)
    async def database_unavailable(request: Request, error: OperationalError) -> Response:
        log.error("database unavailable: %s", error)
        if request.url.path.startswith("/api/") or request.url.path == "/healthz":
            return JSONResponse({"detail": "The database is unavailable."}, status_code=503)
        return render(
            request,
            "web/message.html",
            {
                "title": "We'll be right back",
                "message": (
                    "Paperboy cannot reach its database right now. "
                    "Please try again in a few minutes."
                ),
            },
            status_code=503,
        )

    # Before /static, which would otherwise take these paths.
    app.mount("/static/swagger-ui", StaticFiles(directory=swagger_ui_dir()), name="swagger-ui")
    app.mount("/static", StaticFiles(directory=static_dir()), name="static")

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        # Not FastAPI's get_swagger_ui_html: it starts Swagger UI with an inline
        # script, which the script policy refuses (the page stayed blank).
        return HTMLResponse(_API_DOCS_PAGE)

    _include_routers(app)
    redirect_slashes_within_site(app.router)
    app.add_middleware(HeadAsGet)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        larger_paths={"/admin/subscribers/import": settings.admin_import_max_bytes},
        # A reader's library upload: the file's own cap plus room for the form around it.
        larger_patterns={
            pattern: settings.reader_import_max_bytes + settings.max_body_bytes
            for pattern in READER_UPLOAD_PATHS
        },
    )
    # Around the body limit, so its 413 carries the security headers too.
    app.add_middleware(PageHeaders, secure_cookies=secure_cookies)
    # Outermost: the request id is known to everything below, error pages included.
    app.add_middleware(RequestContext)
    return app


def _include_routers(app: FastAPI) -> None:
    from app.web.error_pages import install_error_pages
    from app.web.errors import install_error_handlers
    from app.web.routes import admin, api, health, metrics, papers, public, reader, tracking

    install_error_pages(app)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(public.router)
    app.include_router(papers.router)
    app.include_router(reader.router)
    app.include_router(api.router)
    app.include_router(tracking.router)
    app.include_router(admin.router)
