"""Per request: an ``X-Request-ID`` (the caller's if sane, else a new one) carried by every
log record of the request and returned in the response, and the request's latency,
observed by route template (``/manage/{token}``, never the token itself).

A plain ASGI middleware, like PageHeaders: BaseHTTPMiddleware costs too much per request.
"""

from __future__ import annotations

import re
import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.logs import log_context
from app.metrics.process import HTTP_REQUEST_SECONDS

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy's or client's id may look like (anything else is replaced, never logged).
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id_from(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if _SANE_ID.fullmatch(candidate):
                return candidate
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The matched route's path template; ``unmatched`` for a 404 (bounded label values)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else "unmatched"


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
            await send(message)

        started = time.perf_counter()
        try:
            with log_context(request_id=request_id):
                await self.app(scope, receive, send_with_id)
        finally:
            HTTP_REQUEST_SECONDS.labels(scope["method"], route_template(scope)).observe(
                time.perf_counter() - started
            )
