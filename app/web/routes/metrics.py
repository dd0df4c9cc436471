"""``GET /metrics``: Prometheus text (see app/metrics)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.db import transaction
from app.metrics.exposition import CONTENT_TYPE, scrape
from app.web.deps import StateDep

router = APIRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False)
def metrics(state: StateDep) -> Response:
    # Its own transaction: a scrape stores the closed editions' counts it computed.
    with transaction(state.session_factory) as session:
        body = scrape(session)
    return Response(body, media_type=CONTENT_TYPE)
