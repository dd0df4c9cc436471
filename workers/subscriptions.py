"""Subscription tasks: the double opt-in confirmation email, the already-subscribed note,
and the mail withheld from a suppressed address."""

from __future__ import annotations

from app.config import get_settings
from app.mailer.errors import TemporaryDeliveryError
from app.subscriptions import jobs
from workers.celery_app import app


@app.task(
    name="subscriptions.send_confirmation",
    autoretry_for=(TemporaryDeliveryError,),
    retry_backoff=True,
    max_retries=5,
)
def send_confirmation(subscriber_id: int) -> bool:
    """Mail subscriber ``subscriber_id`` their confirmation link (if still pending)."""
    return jobs.send_confirmation(get_settings(), subscriber_id)


@app.task(
    name="subscriptions.send_already_subscribed",
    autoretry_for=(TemporaryDeliveryError,),
    retry_backoff=True,
    max_retries=5,
)
def send_already_subscribed(subscriber_id: int) -> bool:
    """Tell subscriber ``subscriber_id`` they are already subscribed (if they still are)."""
    return jobs.send_already_subscribed(get_settings(), subscriber_id)


@app.task(name="subscriptions.withhold_from_suppressed")
def withhold_from_suppressed(suppression_id: int) -> bool:
    """A suppressed address asked to subscribe: the same work as a mail, nothing sent."""
    return jobs.withhold_from_suppressed(get_settings(), suppression_id)
