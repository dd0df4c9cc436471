"""Reading the subscribe and manage forms: raw values to re-display, cleaned preferences."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.datastructures import FormData

from app.models.subscriber import Subscriber
from app.subscriptions.validation import DEFAULT_SEND_HOUR, DEFAULT_TIMEZONE

HONEYPOT_FIELD = "website"
PREFERENCE_FIELDS = ("interests", "frequency", "weekly_day", "send_hour", "timezone")


async def read_form(request: Request) -> FormData:
    """The request's form (cached by Starlette, so the CSRF check can read it too)."""
    return await request.form()


FormDep = Annotated[FormData, Depends(read_form)]


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def form_values(form: FormData) -> dict[str, Any]:
    """What the visitor entered, to put back into the form when it is shown again."""
    values: dict[str, Any] = {name: text(form, name) for name in ("email", *PREFERENCE_FIELDS)}
    values["topics"] = [item for item in form.getlist("topics") if isinstance(item, str)]
    return values


def preference_arguments(form: FormData) -> dict[str, Any]:
    """Keyword arguments for ``clean_preferences`` from the form."""
    return {
        "interests": text(form, "interests"),
        "topics": [item for item in form.getlist("topics") if isinstance(item, str)],
        "frequency": text(form, "frequency") or "daily",
        "weekly_day": text(form, "weekly_day") or 0,
        "send_hour": text(form, "send_hour") or DEFAULT_SEND_HOUR,
        "timezone": text(form, "timezone") or DEFAULT_TIMEZONE,
    }


def default_values() -> dict[str, Any]:
    return {
        "email": "",
        "interests": "",
        "topics": [],
        "frequency": "daily",
        "weekly_day": "0",
        "send_hour": str(DEFAULT_SEND_HOUR),
        "timezone": DEFAULT_TIMEZONE,
    }


def subscriber_values(subscriber: Subscriber) -> dict[str, Any]:
    return {
        "email": subscriber.email,
        "interests": subscriber.interests,
        "topics": list(subscriber.topics),
        "frequency": subscriber.frequency.value,
        "weekly_day": str(subscriber.weekly_day),
        "send_hour": str(subscriber.send_hour),
        "timezone": subscriber.timezone,
    }


def honeypot_filled(form: FormData) -> bool:
    """Bots fill every field; people never see this one."""
    return bool(text(form, HONEYPOT_FIELD).strip())
