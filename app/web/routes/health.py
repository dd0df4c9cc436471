"""``GET /healthz``: is the database (and the broker, when configured) reachable?"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.health import check_broker, check_database
from app.web.deps import StateDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unavailable"]
    broker: Literal["ok", "unavailable", "not configured"]


@router.get(
    "/healthz", response_model=Health, responses={503: {"model": Health}}, summary="Health check"
)
def healthz(state: StateDep) -> JSONResponse:
    database = "ok" if check_database(state.engine) else "unavailable"
    broker = "not configured"
    if state.settings.broker_url:
        broker = "ok" if check_broker(state.settings.broker_url) else "unavailable"
    healthy = database == "ok" and broker != "unavailable"
    body = Health(status="ok" if healthy else "unavailable", database=database, broker=broker)
    return JSONResponse(body.model_dump(), status_code=200 if healthy else 503)
