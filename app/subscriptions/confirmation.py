"""The mails a subscribe request answers with: render, compose, send through the transport.

A new (or pending, or unsubscribed) address gets the double opt-in confirmation; an
address that is already subscribed gets a short note saying so, with its manage link.
Both go through the same job path, so a subscribe request costs the same either way.
"""

from __future__ import annotations

import logging
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import cache

import css_inline
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.orm import Session

from app import jobs
from app.config import Settings
from app.mailer.addresses import ascii_domain_address, needs_smtputf8
from app.mailer.transports import Transport
from app.models.subscriber import Frequency, Subscriber, SubscriberStatus
from app.models.suppression import Suppression
from app.resources import templates_dir
from app.subscriptions.service import SubscribeResult, mark_confirmation_sent
from app.subscriptions.suppression import is_suppressed
from app.subscriptions.tokens import links_for
from app.topics import TOPICS

log = logging.getLogger(__name__)

SUBJECT = "Confirm your Paperboy subscription"
ALREADY_SUBSCRIBED_SUBJECT = "You are already subscribed to Paperboy"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(templates_dir()),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        auto_reload=False,
    )


@cache
def _inliner() -> css_inline.CSSInliner:
    return css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


def _valid_for(seconds: int) -> str:
    if seconds >= 2 * 86400:
        return f"{seconds // 86400} days"
    if seconds >= 2 * 3600:
        return f"{seconds // 3600} hours"
    return f"{max(1, seconds // 60)} minutes"


def schedule_phrase(subscriber: Subscriber) -> str:
    """When the reader's digest comes: "every day at 07:00 (UTC)", "Mondays at 07:00 (UTC)"."""
    when = f"{subscriber.send_hour:02d}:00 ({subscriber.timezone})"
    if subscriber.frequency is Frequency.WEEKLY:
        return f"{WEEKDAYS[subscriber.weekly_day % 7]}s at {when}"
    return f"every day at {when}"


def _context(subscriber: Subscriber, settings: Settings) -> dict[str, object]:
    """What both subscribe mails show: the address, its schedule, topics, links."""
    links = links_for(
        base_url=settings.base_url,
        secret_key=settings.resolved_secret_key(),
        subscriber_id=subscriber.id,
        token_version=subscriber.token_version,
    )
    weekly = subscriber.frequency is Frequency.WEEKLY
    return {
        "email": subscriber.email,
        "confirm_url": links.confirm,
        "manage_url": links.manage,
        "unsubscribe_url": links.unsubscribe,
        "frequency_label": "weekly" if weekly else "daily",
        "schedule": schedule_phrase(subscriber),
        "topics": [TOPICS[slug][0] for slug in subscriber.topics if slug in TOPICS],
        "interests": subscriber.interests,
        "paused": subscriber.status is SubscriberStatus.PAUSED,
        "valid_for": _valid_for(settings.confirm_token_max_age_seconds),
        "postal_address": settings.postal_address,
    }


def compose_confirmation(subscriber: Subscriber, *, settings: Settings) -> EmailMessage:
    """The multipart/alternative (text + inlined HTML) confirmation email for ``subscriber``."""
    return _compose(subscriber, settings, subject=SUBJECT, template="confirm", kind="confirm")


def compose_already_subscribed(subscriber: Subscriber, *, settings: Settings) -> EmailMessage:
    """The note to a subscribed address that asked again: nothing changed, here is the link."""
    return _compose(
        subscriber,
        settings,
        subject=ALREADY_SUBSCRIBED_SUBJECT,
        template="already_subscribed",
        kind="subscribed",
    )


def _compose(
    subscriber: Subscriber, settings: Settings, *, subject: str, template: str, kind: str
) -> EmailMessage:
    context = _context(subscriber, settings)
    environment = _environment()
    text = environment.get_template(f"email/{template}.txt").render(context)
    html = _inliner().inline(environment.get_template(f"email/{template}.html").render(context))

    # A UTF-8 local part goes in the header as UTF-8 (RFC 6532; smtplib then asks the
    # relay for SMTPUTF8), never as encoded words; a UTF-8 domain goes as IDNA.
    to = ascii_domain_address(subscriber.email)
    message = EmailMessage(policy=policy.SMTPUTF8 if needs_smtputf8(to) else policy.default)
    message["Subject"] = subject
    message["From"] = settings.from_address
    local, _, domain = to.rpartition("@")
    message["To"] = Address(username=local, domain=domain)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(idstring=kind, domain=settings.mail_domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def send_confirmation_email(
    session: Session, *, subscriber_id: int, settings: Settings, transport: Transport
) -> bool:
    """Mail the confirmation if the subscriber is still pending; True when a mail went out."""
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None or subscriber.status is not SubscriberStatus.PENDING:
        log.info("confirmation for subscriber %s no longer needed", subscriber_id)
        return False
    if is_suppressed(session, subscriber.email):
        return False
    transport.send(compose_confirmation(subscriber, settings=settings))
    mark_confirmation_sent(session, subscriber=subscriber)
    return True


def send_already_subscribed_email(
    session: Session, *, subscriber_id: int, settings: Settings, transport: Transport
) -> bool:
    """Mail the already-subscribed note if the subscriber is still subscribed; True when sent."""
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None or subscriber.status not in {
        SubscriberStatus.ACTIVE,
        SubscriberStatus.PAUSED,
    }:
        log.info("already-subscribed note for subscriber %s no longer needed", subscriber_id)
        return False
    if is_suppressed(session, subscriber.email):
        return False
    transport.send(compose_already_subscribed(subscriber, settings=settings))
    return True


def withhold_confirmation(session: Session, *, suppression_id: int, settings: Settings) -> bool:
    """A suppressed address asked to subscribe: build the confirmation it would have
    got, to the byte, and send nothing (always False).

    The building is the point: in-process jobs run before the answer leaves, so a
    suppressed address costs about the time of one that is mailed (no existence oracle).
    """
    suppression = session.get(Suppression, suppression_id)
    if suppression is None:
        return False
    stand_in = Subscriber(
        id=0,
        email=suppression.email,
        status=SubscriberStatus.PENDING,
        topics=[],
        interests="",
        frequency=Frequency.DAILY,
        weekly_day=0,
        send_hour=8,
        timezone="UTC",
        token_version=1,
    )
    compose_confirmation(stand_in, settings=settings).as_bytes()  # built to the byte
    log.info(
        "subscribe request for suppressed address #%s (%s): not mailed",
        suppression.id,
        suppression.reason.value,
    )
    return False


def queue_subscribe_mail(session: Session, result: SubscribeResult, *, settings: Settings) -> None:
    """Queue the mail ``result`` says is due (if any) once ``session`` commits."""
    if result.suppressed_answer_due:
        jobs.enqueue(
            "subscriptions.withhold_from_suppressed",
            result.suppression_id,
            settings=settings,
            session=session,
        )
        return
    if result.subscriber_id is None:
        return
    if result.confirmation_due:
        job = "subscriptions.send_confirmation"
    elif result.already_subscribed_note_due:
        job = "subscriptions.send_already_subscribed"
    else:
        return
    jobs.enqueue(job, result.subscriber_id, settings=settings, session=session)
