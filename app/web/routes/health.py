"""``GET /healthz``: can the database (and the broker, when configured) serve requests?"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.health import check_broker, database_problem
from app.web.deps import StateDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unavailable"]
    broker: Literal["ok", "unavailable", "not configured"]
    reason: str | None = None


@router.get(
    "/healthz", response_model=Health, responses={503: {"model": Health}}, summary="Health check"
)
def healthz(state: StateDep) -> JSONResponse:
    problem = database_problem(state.engine)
    database = "ok" if problem is None else "unavailable"
    broker = "not configured"
    if state.settings.broker_url:
        broker = "ok" if check_broker(state.settings.broker_url) else "unavailable"
    healthy = database == "ok" and broker != "unavailable"
    if broker == "unavailable":
        problem = "; ".join(filter(None, [problem, "the broker does not answer"]))
    body = Health(
        status="ok" if healthy else "unavailable", database=database, broker=broker, reason=problem
    )
    return JSONResponse(body.model_dump(), status_code=200 if healthy else 503)
