"""The security headers every response carries (pages, API answers, error pages alike)."""

from __future__ import annotations

from app.web.caching import default_cache_control

# Scripts come from this origin's static files only: no inline script, no event
# handler attributes (templates use data-confirm; app/web/static/pages.js acts on it),
# so markup that slips into a page can never run.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        "form-action 'self'"
    ),
    "Permissions-Policy": "interest-cohort=()",
}
HSTS = ("Strict-Transport-Security", "max-age=31536000")


def security_headers(*, https: bool) -> dict[str, str]:
    """The headers for a response; served over https, browsers are told to stay on it."""
    return {**SECURITY_HEADERS, **(dict([HSTS]) if https else {})}


def default_headers(path: str, *, https: bool) -> dict[str, str]:
    """What every answer to ``path`` carries unless its route set the header itself: the
    security headers and who may keep a copy (``caching.default_cache_control``)."""
    headers = security_headers(https=https)
    cache_control = default_cache_control(path)
    if cache_control:
        headers["Cache-Control"] = cache_control
    return headers
