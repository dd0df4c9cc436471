"""A path that exists only with (or only without) a trailing slash redirects to it.

Starlette's own redirect (``Router.redirect_slashes``) writes the Host header the
request named into the Location: ``Host: evil.example`` on ``/admin/`` redirected
to ``http://evil.example/admin``, an answer a shared cache in front could keep for
everyone. This one sends a root-relative path, so the browser stays on the host it
asked.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.responses import RedirectResponse
from starlette.routing import Match, Router
from starlette.types import Receive, Scope, Send


def redirect_slashes_within_site(router: Router) -> None:
    """Give ``router`` the trailing-slash redirect, with a root-relative Location."""
    router.redirect_slashes = False

    async def slash_redirect_or_not_found(scope: Scope, receive: Receive, send: Send) -> None:
        target = _other_spelling(router, scope) if scope["type"] == "http" else None
        if target is None:
            await router.not_found(scope, receive, send)
            return
        await RedirectResponse(target)(scope, receive, send)

    router.default = slash_redirect_or_not_found


def _other_spelling(router: Router, scope: Scope) -> str | None:
    """The request's path with its trailing slash toggled, if a route answers that."""
    path: str = scope["path"]
    if path == "/":
        return None
    other = path.rstrip("/") if path.endswith("/") else path + "/"
    # "//host" would leave the site ("/\\host", which browsers read the same, is quoted
    # below into a path).
    if not other.startswith("/") or other.startswith("//"):
        return None
    if not any(
        route.matches({**scope, "path": other})[0] is not Match.NONE for route in router.routes
    ):
        return None
    # The scope's path is decoded: quoting keeps "?", "#", "\\" and "%" in the path.
    query = scope.get("query_string", b"").decode("latin-1")
    return quote(other) + (f"?{query}" if query else "")
