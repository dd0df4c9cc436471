"""``GET /metrics``: Prometheus text (see app/metrics)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Response
from sqlalchemy.exc import SQLAlchemyError

from app.db import transaction
from app.metrics.exposition import CONTENT_TYPE, scrape
from app.metrics.figures import Figures, read_figures
from app.web.deps import StateDep

log = logging.getLogger(__name__)

router = APIRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False)
def metrics(state: StateDep) -> Response:
    figures: Figures | None
    try:
        # Its own transaction: a scrape stores the closed editions' counts it computed.
        with transaction(state.session_factory) as session:
            figures = read_figures(session)
    except SQLAlchemyError as error:
        # Still a 200, as exporters answer: the process's figures and paperboy_database_up 0.
        log.warning("metrics: the database figures could not be read: %s", error)
        figures = None
    return Response(scrape(figures), media_type=CONTENT_TYPE)
