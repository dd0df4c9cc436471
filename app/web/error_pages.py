"""Error pages: a browser gets a page with a sentence, an API client keeps its JSON.

Which one is decided by the path (``/api/`` and ``/openapi.json`` always get JSON) and by
the ``Accept`` header (a page only for a client that asks for HTML first).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from app.web.headers import default_headers
from app.web.rendering import render

log = logging.getLogger(__name__)

PAGES = {
    404: ("Page not found", "There is nothing at this address. Check the link, or start again."),
    405: ("Not here", "This address does not take that kind of request."),
    500: (
        "Something went wrong on our side",
        "The error has been logged. Please try again in a minute.",
    ),
}


def wants_html(request: Request) -> bool:
    if request.url.path.startswith("/api/") or request.url.path == "/openapi.json":
        return False
    accept = request.headers.get("accept", "")
    html = accept.find("text/html")
    json = accept.find("application/json")
    return html != -1 and (json == -1 or html < json)


def install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        if error.status_code not in PAGES or not wants_html(request):
            return await http_exception_handler(request, error)
        title, message = PAGES[error.status_code]
        response = render(
            request, "web/message.html", {"title": title, "message": message}, error.status_code
        )
        if error.headers:
            response.headers.update(error.headers)
        return response

    @app.exception_handler(Exception)
    async def server_error(request: Request, error: Exception) -> Response:
        # Starlette logs the traceback itself (and re-raises in tests). This answer
        # leaves from outside every middleware, so it adds their headers itself.
        response = _server_error_response(request)
        https = request.app.state.paperboy.settings.served_over_https
        response.headers.update(default_headers(request.url.path, https=https))
        return response


def _server_error_response(request: Request) -> Response:
    if not wants_html(request):
        return JSONResponse({"detail": "Internal Server Error"}, status_code=500)
    title, message = PAGES[500]
    try:
        return render(request, "web/message.html", {"title": title, "message": message}, 500)
    except Exception:  # a page that cannot render must not hide the first error
        log.exception("the error page itself failed")
        return Response("Internal Server Error", status_code=500, media_type="text/plain")
