"""Per-client rate limits for the web app (the limiter itself lives in app.subscriptions)."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from app.subscriptions.errors import RateLimited
from app.subscriptions.ratelimit import RateLimiter, RedisRateLimiter, client_network
from app.web.deps import StateDep


async def get_rate_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]


def client_ip(request: Request) -> str:
    """The peer address; a proxy listed in ``PAPERBOY_FORWARDED_ALLOW_IPS`` may name another."""
    return request.client.host if request.client else "unknown"


async def limit_subscribe_per_ip(
    request: Request, state: StateDep, limiter: RateLimiterDep
) -> None:
    """At most ``subscribe_per_minute_per_ip`` subscribe-like POSTs a minute from one client
    (an IPv4 address or an IPv6 /64, as ``client_network`` counts them)."""
    hit = partial(
        limiter.hit,
        f"subscribe-ip:{client_network(client_ip(request))}",
        limit=state.settings.subscribe_per_minute_per_ip,
        window_seconds=60,
    )
    # Only Redis does I/O; in-memory and disabled limits answer without a thread hop.
    retry_after = await run_in_threadpool(hit) if isinstance(limiter, RedisRateLimiter) else hit()
    if retry_after is not None:
        raise RateLimited(
            "Too many attempts from your network. Please wait a minute and try again.",
            retry_after_seconds=retry_after,
        )


SubscribeRateLimited = Annotated[None, Depends(limit_subscribe_per_ip)]
