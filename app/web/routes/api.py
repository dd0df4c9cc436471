"""The JSON API under ``/api/v1``: subscribe, confirm, unsubscribe, read and change own prefs,
and the papers that steer one's digest (bring, import a reference-manager export, remove).

No cookies are involved, so no CSRF: a browser cannot send ``application/json``
cross-site without a CORS preflight, which we never grant.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, File, Request, UploadFile, status
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor

from app.db import transaction
from app.errors import NotFound
from app.models.subscriber import Subscriber
from app.subscriptions import service
from app.subscriptions.brought import (
    bring_papers,
    steering_papers,
    stop_steering,
)
from app.subscriptions.confirmation import queue_subscribe_mail
from app.subscriptions.errors import InvalidField, InvalidToken
from app.subscriptions.library_files import FIELD as LIBRARY_FIELD
from app.subscriptions.library_files import read_library_file, reference_from_text
from app.subscriptions.schemas import (
    BringIn,
    BringOut,
    ErrorOut,
    PreferencesIn,
    SteeringPapersOut,
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
from app.wording import size_label

router = APIRouter(prefix="/api/v1/subscriptions", tags=["subscriptions"])


class AnyRest(Convertor[str]):
    """The rest of the path, whatever it holds: an old-style arXiv id has a slash
    (``hep-th/9901001``), and a malformed one (a line break in it) should reach the route
    and its documented answer, not the router's bare 404."""

    regex = "(?s:.+)"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("rest", AnyRest())

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
            queue_subscribe_mail(session, result, settings=state.settings)

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


@router.get(
    "/{token}/papers",
    response_model=SteeringPapersOut,
    summary="The papers that steer your digest: brought, liked, disliked (manage token)",
    responses=BAD_TOKEN,
)
def read_papers(token: Token, session: SessionDep, state: StateDep) -> SteeringPapersOut:
    subscriber = _by_token(session, state, token, TokenPurpose.MANAGE)
    return SteeringPapersOut.of(steering_papers(session, subscriber=subscriber))


@router.post(
    "/{token}/papers",
    response_model=BringOut,
    summary="Bring papers by arXiv id, arXiv or Hugging Face link, or arXiv DOI",
    description="Papers we do not have yet are fetched from arXiv in the background "
    "(``waiting``); each one steers your digest once it is stored. What is not added "
    "is listed in ``skipped`` with the reason.",
    responses={**BAD_TOKEN, **ENDED, **TOO_LARGE},
)
def bring(token: Token, body: BringIn, session: SessionDep, state: StateDep) -> BringOut:
    subscriber = _by_token(session, state, token, TokenPurpose.MANAGE)
    references = [reference_from_text(reference) for reference in body.references]
    report = bring_papers(
        session, subscriber=subscriber, references=references, settings=state.settings
    )
    return BringOut.of(report)


@router.post(
    "/{token}/papers/import",
    response_model=BringOut,
    summary="Bring the arXiv papers of a BibTeX, RIS or Zotero CSV export",
    description="arXiv papers are found through ``eprint``/``archivePrefix``, ``arxiv`` "
    "fields, arXiv DOIs (10.48550/arXiv.ID) and arXiv or Hugging Face URLs. One entry "
    "that cannot be read is skipped with its reason; a file that is not UTF-8 text, "
    "too large or no such export is refused whole (422).",
    responses={**BAD_TOKEN, **ENDED, **TOO_LARGE},
)
def import_papers(
    token: Token,
    session: SessionDep,
    state: StateDep,
    library: UploadFile = File(description="The export (.bib, .ris or .csv), UTF-8."),
) -> BringOut:
    subscriber = _by_token(session, state, token, TokenPurpose.MANAGE)
    limit = state.settings.reader_import_max_bytes
    try:
        data = library.file.read(limit + 1)
    finally:
        library.file.close()
    if len(data) > limit:
        raise InvalidField(LIBRARY_FIELD, f"The file is larger than {size_label(limit)}.")
    references = read_library_file(data, filename=library.filename or "")
    report = bring_papers(
        session, subscriber=subscriber, references=references, settings=state.settings
    )
    return BringOut.of(report)


@router.delete(
    "/{token}/papers/{arxiv_id:rest}",
    response_model=SteeringPapersOut,
    summary="Stop a paper steering your digest (brought, liked or disliked)",
    responses={
        404: {
            "model": ErrorOut,
            "description": "The token is forged, expired or revoked, or no such paper steers "
            "this digest.",
        }
    },
)
def remove_paper(
    token: Token, arxiv_id: str, session: SessionDep, state: StateDep
) -> SteeringPapersOut:
    subscriber = _by_token(session, state, token, TokenPurpose.MANAGE)
    # Read as the paper was brought: 2511.19827v2 (or its link) is 2511.19827.
    named = reference_from_text(arxiv_id).arxiv_id
    if named is None or not stop_steering(session, subscriber=subscriber, arxiv_id=named):
        raise NotFound(f"{arxiv_id[:64]} is not a paper that steers your digest.")
    return SteeringPapersOut.of(steering_papers(session, subscriber=subscriber))


def _by_token(
    session: SessionDep, state: StateDep, token: str, purpose: TokenPurpose
) -> Subscriber:
    return service.subscriber_for_token(
        session, token=token, purpose=purpose, secret_key=state.secret_key
    )
