"""The public pages: subscribe, confirm, manage, unsubscribe, sample digest.

GET never changes anything (mail scanners follow links); every state-changing
form POST is CSRF-protected, except the RFC 8058 one-click unsubscribe.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from app.db import transaction
from app.models.subscriber import Subscriber, SubscriberStatus
from app.subscriptions import service
from app.subscriptions.brought import (
    MAX_BROUGHT,
    BringReport,
    bring_papers,
    references_in_text,
    remove_brought,
    steering_papers,
)
from app.subscriptions.confirmation import queue_subscribe_mail, schedule_phrase
from app.subscriptions.errors import InvalidField
from app.subscriptions.feed import feed_url
from app.subscriptions.library_files import FIELD as LIBRARY_FIELD
from app.subscriptions.library_files import BroughtReference, read_library_file
from app.subscriptions.papers import undo_feedback
from app.subscriptions.sample import has_sample_digest, latest_sample_digest
from app.subscriptions.tokens import TokenPurpose, links_for
from app.subscriptions.validation import clean_preferences
from app.topics import TOPICS
from app.web.choices import HOURS, WEEKDAYS, timezone_options
from app.web.csrf import CSRFProtected
from app.web.deps import SessionDep, StateDep
from app.web.forms import (
    FormDep,
    default_values,
    form_values,
    honeypot_filled,
    preference_arguments,
    subscriber_values,
    text,
)
from app.web.ratelimit import RateLimiterDep, SubscribeRateLimited, client_ip
from app.web.rendering import render
from app.web.state import AppState
from app.wording import size_label

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

CHECK_INBOX = "web/check_inbox.html"
SAMPLE_CHECK_SECONDS = 60.0
NOTICES = {
    "saved": "Your preferences are saved.",
    "paused": "Your digest is paused. Resume it whenever you like.",
    "resumed": "Welcome back: your digest is on again.",
    "forgotten": "Done: that paper no longer steers your digest.",
    "removed": "Done: you no longer bring that paper.",
}


def _form_context(values: dict[str, Any], errors: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors or {},
        "topics": TOPICS,
        "hours": HOURS,
        "weekdays": WEEKDAYS,
        "timezone_options": timezone_options,
    }


@router.get("/", response_class=HTMLResponse)
async def subscribe_page(request: Request, state: StateDep) -> Response:
    # async, and the sample check cached: the busiest page needs no thread or query.
    context = _form_context(default_values())
    context["sample_available"] = await _sample_available(request, state)
    return render(request, "web/index.html", context)


async def _sample_available(request: Request, state: StateDep) -> bool:
    cached: tuple[float, bool] | None = getattr(request.app.state, "sample_available", None)
    now = time.monotonic()
    if cached is None or cached[0] < now:

        def check() -> bool:
            # The form must still show when the database is down; only the link goes.
            try:
                with transaction(state.session_factory) as session:
                    return has_sample_digest(session)
            except SQLAlchemyError:
                log.warning("sample digest check failed", exc_info=True)
                return False

        cached = (now + SAMPLE_CHECK_SECONDS, await run_in_threadpool(check))
        request.app.state.sample_available = cached
    return cached[1]


@router.post("/subscribe", response_class=HTMLResponse)
def subscribe(
    request: Request,
    _csrf: CSRFProtected,
    _limit: SubscribeRateLimited,
    form: FormDep,
    session: SessionDep,
    state: StateDep,
    limiter: RateLimiterDep,
) -> Response:
    if honeypot_filled(form):
        return render(request, CHECK_INBOX)
    try:
        preferences = clean_preferences(**preference_arguments(form))
        result = service.subscribe(
            session,
            email=text(form, "email"),
            preferences=preferences,
            consent=service.Consent(
                source="web-form",
                ip=client_ip(request),
                user_agent=request.headers.get("user-agent"),
            ),
            limiter=limiter,
            confirmation_mails_per_hour=state.settings.confirmation_mails_per_hour,
        )
    except InvalidField as error:
        context = _form_context(form_values(form), {error.field: error.message})
        context["sample_available"] = False
        return render(request, "web/index.html", context, status_code=422)
    queue_subscribe_mail(session, result, settings=state.settings)
    return render(request, CHECK_INBOX)


@router.post("/confirm/resend", response_class=HTMLResponse)
def resend_confirmation(
    request: Request,
    _csrf: CSRFProtected,
    _limit: SubscribeRateLimited,
    form: FormDep,
    session: SessionDep,
    state: StateDep,
    limiter: RateLimiterDep,
) -> Response:
    try:
        result = service.resend_confirmation(
            session,
            email=text(form, "email"),
            limiter=limiter,
            confirmation_mails_per_hour=state.settings.confirmation_mails_per_hour,
        )
    except InvalidField as error:
        return render(
            request,
            "web/link_problem.html",
            {
                "title": "Get a new confirmation email",
                "message": error.message,
                "offer_resend": True,
                "email": text(form, "email"),
            },
            status_code=422,
        )
    queue_subscribe_mail(session, result, settings=state.settings)
    return render(request, CHECK_INBOX)


def _confirm_subscriber(session: SessionDep, state: StateDep, token: str) -> Subscriber:
    return service.subscriber_for_token(
        session,
        token=token,
        purpose=TokenPurpose.CONFIRM,
        secret_key=state.secret_key,
        max_age_seconds=state.settings.confirm_token_max_age_seconds,
    )


@router.get("/confirm/{token}", response_class=HTMLResponse)
def confirm_page(request: Request, token: str, session: SessionDep, state: StateDep) -> Response:
    subscriber = _confirm_subscriber(session, state, token)
    # Opened again later: a confirmed reader gets their manage link (what the POST's page
    # gave them), an ended subscription says so instead of "already confirmed".
    context: dict[str, Any] = {
        "subscriber": subscriber,
        "token": token,
        "ended": subscriber.status in service.ENDED,
    }
    if subscriber.status in {SubscriberStatus.ACTIVE, SubscriberStatus.PAUSED}:
        context["links"] = _links(state, subscriber)
    return render(request, "web/confirm.html", context)


@router.post("/confirm/{token}", response_class=HTMLResponse)
def confirm(
    request: Request, token: str, _csrf: CSRFProtected, session: SessionDep, state: StateDep
) -> Response:
    subscriber = service.confirm(session, subscriber=_confirm_subscriber(session, state, token))
    return render(
        request,
        "web/confirmed.html",
        {
            "subscriber": subscriber,
            "links": _links(state, subscriber),
            "schedule": schedule_phrase(subscriber),
        },
    )


def _manage_subscriber(session: SessionDep, state: StateDep, token: str) -> Subscriber:
    return service.subscriber_for_token(
        session, token=token, purpose=TokenPurpose.MANAGE, secret_key=state.secret_key
    )


def _manage_page(
    request: Request,
    session: SessionDep,
    subscriber: Subscriber,
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status_code: int = 200,
    report: BringReport | None = None,
    references_text: str = "",
) -> Response:
    context = _form_context(values, errors)
    context.update(subscriber=subscriber, notice=notice, statuses=SubscriberStatus)
    state: AppState = request.app.state.paperboy
    limit = state.settings.reader_import_max_bytes
    context.update(
        token=request.path_params["token"],
        steering=steering_papers(session, subscriber=subscriber),
        report=report,
        references_text=references_text,
        max_brought=MAX_BROUGHT,
        max_upload_bytes=limit,
        max_upload_label=size_label(limit),
    )
    context["feed_url"] = feed_url(
        base_url=state.settings.base_url, secret_key=state.secret_key, subscriber=subscriber
    )
    return render(request, "web/manage.html", context, status_code=status_code)


@router.get("/manage/{token}", response_class=HTMLResponse)
def manage_page(
    request: Request, token: str, session: SessionDep, state: StateDep, done: str = ""
) -> Response:
    subscriber = _manage_subscriber(session, state, token)
    return _manage_page(
        request, session, subscriber, subscriber_values(subscriber), notice=NOTICES.get(done)
    )


@router.post("/manage/{token}", response_class=HTMLResponse)
def manage(
    request: Request,
    token: str,
    _csrf: CSRFProtected,
    form: FormDep,
    session: SessionDep,
    state: StateDep,
) -> Response:
    subscriber = _manage_subscriber(session, state, token)
    action = text(form, "action") or "save"
    if action == "unsubscribe":
        service.unsubscribe(session, subscriber=subscriber)
        return render(request, "web/unsubscribed.html", {"subscriber": subscriber})
    if action == "pause":
        service.pause(session, subscriber=subscriber)
        return RedirectResponse(f"/manage/{token}?done=paused", status_code=303)
    if action == "resume":
        service.resume(session, subscriber=subscriber)
        return RedirectResponse(f"/manage/{token}?done=resumed", status_code=303)
    if action.startswith("forget:"):
        undo_feedback(session, subscriber=subscriber, arxiv_id=action.removeprefix("forget:"))
        return RedirectResponse(f"/manage/{token}?done=forgotten#steering", status_code=303)
    if action.startswith("unbring:"):
        remove_brought(session, subscriber=subscriber, arxiv_id=action.removeprefix("unbring:"))
        return RedirectResponse(f"/manage/{token}?done=removed#steering", status_code=303)
    try:
        preferences = clean_preferences(**preference_arguments(form))
    except InvalidField as error:
        values = {**form_values(form), "email": subscriber.email}
        return _manage_page(
            request,
            session,
            subscriber,
            values,
            errors={error.field: error.message},
            status_code=422,
        )
    service.update_preferences(session, subscriber=subscriber, preferences=preferences)
    return RedirectResponse(f"/manage/{token}?done=saved", status_code=303)


@router.post("/manage/{token}/papers", response_class=HTMLResponse)
def bring(
    request: Request,
    token: str,
    _csrf: CSRFProtected,
    form: FormDep,
    session: SessionDep,
    state: StateDep,
) -> Response:
    """Papers the reader brings: typed ids and links, and/or a reference-manager export."""
    subscriber = _manage_subscriber(session, state, token)
    typed = text(form, "references")
    values = subscriber_values(subscriber)
    try:
        references = references_in_text(typed) + _uploaded_references(form, state)
        if not references:
            raise InvalidField(
                "references", "Type an arXiv id or link, or choose a file to bring papers."
            )
    except InvalidField as error:
        # Nothing was added; what the reader typed is put back in the form.
        return _manage_page(
            request,
            session,
            subscriber,
            values,
            errors={error.field: error.message},
            status_code=422,
            references_text=typed,
        )
    report = bring_papers(
        session, subscriber=subscriber, references=references, settings=state.settings
    )
    return _manage_page(request, session, subscriber, values, report=report)


def _uploaded_references(form: FormData, state: AppState) -> list[BroughtReference]:
    upload = form.get("library")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return []
    limit = state.settings.reader_import_max_bytes
    try:
        data = upload.file.read(limit + 1)
    finally:
        # Starlette spools the upload to a temporary file that only we know to close.
        upload.file.close()
    if len(data) > limit:
        raise InvalidField(
            LIBRARY_FIELD,
            f"This file is larger than {size_label(limit)}. Export only the collection "
            "you want to bring, or paste the ids instead.",
        )
    return read_library_file(data, filename=upload.filename)


def _unsubscribe_subscriber(session: SessionDep, state: StateDep, token: str) -> Subscriber:
    return service.subscriber_for_token(
        session, token=token, purpose=TokenPurpose.UNSUBSCRIBE, secret_key=state.secret_key
    )


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(
    request: Request, token: str, session: SessionDep, state: StateDep
) -> Response:
    subscriber = _unsubscribe_subscriber(session, state, token)
    if subscriber.status in service.ENDED:
        return render(request, "web/unsubscribed.html", {"subscriber": subscriber})
    return render(request, "web/unsubscribe.html", {"subscriber": subscriber, "token": token})


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe(request: Request, token: str, session: SessionDep, state: StateDep) -> Response:
    """Also the RFC 8058 one-click target: no cookies, no CSRF token, any body."""
    subscriber = service.unsubscribe(
        session, subscriber=_unsubscribe_subscriber(session, state, token)
    )
    return render(request, "web/unsubscribed.html", {"subscriber": subscriber})


@router.get("/sample", response_class=HTMLResponse)
def sample_digest(request: Request, session: SessionDep, state: StateDep) -> Response:
    html = latest_sample_digest(session, settings=state.settings)
    if html is None:
        return render(
            request,
            "web/message.html",
            {
                "title": "No sample yet",
                "message": "The first digest has not gone out yet. Subscribe and it will be "
                "in your inbox with the next edition.",
            },
            status_code=404,
        )
    return HTMLResponse(html)


def _links(state: StateDep, subscriber: Subscriber) -> Any:
    return links_for(
        base_url=state.settings.base_url,
        secret_key=state.secret_key,
        subscriber_id=subscriber.id,
        token_version=subscriber.token_version,
    )
