"""The JSON API under ``/api/v1``: subscribe, confirm, unsubscribe, read and change own prefs.

No cookies are involved, so no CSRF: a browser cannot send ``application/json``
cross-site without a CORS preflight, which we never grant.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status
from starlette.concurrency import run_in_threadpool

from app.db import transaction
from app.models.subscriber import Subscriber
from app.subscriptions import service
from app.subscriptions.confirmation import queue_confirmation
from app.subscriptions.errors import InvalidToken
from app.subscriptions.schemas import (
    ErrorOut,
    PreferencesIn,
    SubscriptionAccepted,
    SubscriptionCreate,
    SubscriptionOut,
    Token,
    TokenIn,
    preferences_of,
)
from app.subscriptions.tokens import TokenPurpose
from app.subscriptions.validation import Preferences
from app.web.deps import SessionDep, StateDep
from app.web.ratelimit import RateLimiterDep, SubscribeRateLimited, client_ip

router = APIRouter(prefix="/api/v1/subscriptions", tags=["subscriptions"])

TOO_LARGE: dict[int | str, dict[str, Any]] = {413: {"description": "Request body too large."}}
BAD_TOKEN: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "The token is forged, expired or revoked."}
}
ENDED: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorOut, "description": "The subscription has ended."}
}


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SubscriptionAccepted,
    summary="Subscribe (a confirmation email follows)",
    responses={
        **TOO_LARGE,
        429: {"model": ErrorOut, "description": "Too many attempts from this client."},
    },
)
async def create_subscription(
    body: SubscriptionCreate,
    request: Request,
    _limit: SubscribeRateLimited,
    state: StateDep,
    limiter: RateLimiterDep,
) -> SubscriptionAccepted:
    consent = service.Consent(
        source="api", ip=client_ip(request), user_agent=request.headers.get("user-agent")
    )

    def subscribe() -> None:
        # The hot path of the API: one thread hop for the whole transaction
        # (SessionDep would cost two more).
        with transaction(state.session_factory) as session:
            result = service.subscribe(
                session,
                email=body.email,
                preferences=body.applied_to(Preferences()),
                consent=consent,
                limiter=limiter,
                confirmation_mails_per_hour=state.settings.confirmation_mails_per_hour,
            )
            queue_confirmation(session, result, settings=state.settings)

    await run_in_threadpool(subscribe)
    return SubscriptionAccepted()


@router.post(
    "/confirm",
    response_model=SubscriptionOut,
    summary="Confirm a subscription with the token from the confirmation email",
    responses={**BAD_TOKEN, **ENDED, **TOO_LARGE},
)
def confirm_subscription(body: TokenIn, session: SessionDep, state: StateDep) -> SubscriptionOut:
    subscriber = service.subscriber_for_token(
        session,
        token=body.token,
        purpose=TokenPurpose.CONFIRM,
        secret_key=state.secret_key,
        max_age_seconds=state.settings.confirm_token_max_age_seconds,
    )
    return SubscriptionOut.of(service.confirm(session, subscriber=subscriber))


@router.post(
    "/unsubscribe",
    response_model=SubscriptionOut,
    summary="Unsubscribe with an unsubscribe or manage token",
    responses={**BAD_TOKEN, **TOO_LARGE},
)
def unsubscribe(body: TokenIn, session: SessionDep, state: StateDep) -> SubscriptionOut:
    try:
        subscriber = _by_token(session, state, body.token, TokenPurpose.UNSUBSCRIBE)
    except InvalidToken:
        subscriber = _by_token(session, state, body.token, TokenPurpose.MANAGE)
    return SubscriptionOut.of(service.unsubscribe(session, subscriber=subscriber))


@router.get(
    "/{token}",
    response_model=SubscriptionOut,
    summary="Read your subscription (manage token)",
    responses=BAD_TOKEN,
)
def read_subscription(token: Token, session: SessionDep, state: StateDep) -> SubscriptionOut:
    return SubscriptionOut.of(_by_token(session, state, token, TokenPurpose.MANAGE))


@router.patch(
    "/{token}",
    response_model=SubscriptionOut,
    summary="Change your preferences (manage token); omitted fields stay as they are",
    responses={**BAD_TOKEN, **ENDED, **TOO_LARGE},
)
def update_subscription(
    token: Token, body: PreferencesIn, session: SessionDep, state: StateDep
) -> SubscriptionOut:
    subscriber = _by_token(session, state, token, TokenPurpose.MANAGE)
    preferences = body.applied_to(preferences_of(subscriber))
    service.update_preferences(session, subscriber=subscriber, preferences=preferences)
    return SubscriptionOut.of(subscriber)


def _by_token(
    session: SessionDep, state: StateDep, token: str, purpose: TokenPurpose
) -> Subscriber:
    return service.subscriber_for_token(
        session, token=token, purpose=purpose, secret_key=state.secret_key
    )
