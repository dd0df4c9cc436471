"""Feedback endpoints: click redirects, the open pixel, and the provider webhook."""

from __future__ import annotations

import base64
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from app.feedback.links import ClickLinks
from app.feedback.service import (
    ProviderEvent,
    apply_provider_events,
    check_webhook_token,
    record_click,
    record_open,
)
from app.web.deps import SessionDep, StateDep, WriteSessionDep
from app.web.rendering import render

router = APIRouter(tags=["tracking"])

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _links(state: StateDep) -> ClickLinks:
    return ClickLinks(state.secret_key, state.settings.base_url)


@router.get("/c/{token}", include_in_schema=False)
def follow_click(
    token: str, request: Request, state: StateDep, session: WriteSessionDep
) -> Response:
    """Record the click and redirect to the link recorded for that delivery."""
    url = record_click(
        session,
        links=_links(state),
        token=token,
        secret_key=state.secret_key,
        user_agent=request.headers.get("user-agent"),
    )
    if url is None:
        return render(
            request,
            "web/message.html",
            {
                "title": "This link does not work",
                "message": "It may have been cut off by your mail program. "
                "Open the paper from the digest again, or search for its title.",
            },
            status_code=404,
        )
    return RedirectResponse(url, status_code=302)


@router.get("/o/{token}", include_in_schema=False)
def open_pixel(token: str, state: StateDep, session: WriteSessionDep) -> Response:
    record_open(session, links=_links(state), token=token, enabled=state.settings.open_tracking)
    return Response(PIXEL, media_type="image/gif")


class WebhookEvent(BaseModel):
    type: Literal["bounce", "complaint"]
    email: str = Field(max_length=320)
    permanent: bool = True
    detail: str = Field(default="", max_length=2000)
    message_id: str | None = Field(default=None, max_length=255)


class WebhookBody(BaseModel):
    events: list[WebhookEvent] = Field(max_length=1000)


class WebhookResult(BaseModel):
    received: int
    suppressed: int


@router.post(
    "/api/v1/webhooks/events",
    response_model=WebhookResult,
    summary="Bounce and complaint events from the mail provider",
    responses={401: {"description": "Missing or wrong token"}, 404: {"description": "Disabled"}},
)
def provider_events(
    body: WebhookBody,
    state: StateDep,
    session: SessionDep,
    authorization: Annotated[str | None, Header()] = None,
) -> WebhookResult:
    """Hard bounces and complaints suppress the address; authenticate with ``Bearer TOKEN``."""
    check_webhook_token(configured=state.settings.webhook_token, authorization=authorization)
    suppressed = apply_provider_events(
        session,
        [ProviderEvent(e.type, e.email, e.permanent, e.detail, e.message_id) for e in body.events],
    )
    return WebhookResult(received=len(body.events), suppressed=suppressed)
