"""The JSON API's request and response bodies (``/api/v1/subscriptions``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator

from app.models.subscriber import Frequency, Subscriber
from app.subscriptions.brought import MAX_BROUGHT, BringReport, SteeringPaper, SteeringPapers
from app.subscriptions.errors import InvalidField
from app.subscriptions.validation import (
    MAX_EMAIL_LENGTH,
    MAX_INTERESTS_LENGTH,
    Preferences,
    clean_interests,
    clean_timezone,
    clean_topics,
    known_timezones,
    normalise_email,
)
from app.topics import TOPICS

TOPIC_SLUGS: list[JsonValue] = list(TOPICS)
TIMEZONES: list[JsonValue] = list(sorted(known_timezones()))
TOPICS_DESCRIPTION = "Topic slugs: " + ", ".join(TOPICS) + "."
Token = Annotated[str, Field(min_length=1, max_length=512, description="A token from a link.")]


def _checked(function: Any, value: Any) -> Any:
    # Pydantic reports ValueErrors as 422 field errors; ours carry a sentence.
    try:
        return function(value)
    except InvalidField as error:
        raise ValueError(error.message) from error


class PreferencesIn(BaseModel):
    """What and when to receive (every field optional: unset means unchanged/default)."""

    model_config = ConfigDict(extra="forbid")

    interests: str | None = Field(
        None, max_length=MAX_INTERESTS_LENGTH, description="Free text: what to read about."
    )
    topics: list[str] | None = Field(
        None,
        max_length=len(TOPIC_SLUGS),
        description=TOPICS_DESCRIPTION,
        json_schema_extra={"items": {"type": "string", "enum": TOPIC_SLUGS}},
    )
    frequency: Literal["daily", "weekly"] | None = None
    weekly_day: int | None = Field(None, ge=0, le=6, description="0 = Monday (weekly digests).")
    send_hour: int | None = Field(None, ge=0, le=23, description="Local hour to send at.")
    timezone: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="IANA timezone, e.g. Europe/Paris.",
        json_schema_extra={"enum": TIMEZONES},
    )

    @field_validator("interests")
    @classmethod
    def _interests(cls, value: str | None) -> str | None:
        return None if value is None else _checked(clean_interests, value)

    @field_validator("topics")
    @classmethod
    def _topics(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _checked(clean_topics, value)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        return None if value is None else _checked(clean_timezone, value)

    @field_validator("weekly_day", "send_hour", mode="before")
    @classmethod
    def _not_a_boolean(cls, value: Any) -> Any:
        # Pydantic reads true as 1: {"send_hour": true} would quietly mean 01:00.
        if isinstance(value, bool):
            raise ValueError("Give a number, not true or false.")
        return value

    def applied_to(self, base: Preferences) -> Preferences:
        """``base`` with the fields given here replaced."""
        changes = self.model_dump(
            include=set(PreferencesIn.model_fields), exclude_unset=True, exclude_none=True
        )
        merged: dict[str, Any] = {
            "interests": base.interests,
            "topics": base.topics,
            "frequency": base.frequency,
            "weekly_day": base.weekly_day,
            "send_hour": base.send_hour,
            "timezone": base.timezone,
            **changes,
        }
        merged["frequency"] = Frequency(merged["frequency"])
        return Preferences(**merged)


class SubscriptionCreate(PreferencesIn):
    """Ask for the digest; a confirmation email follows (double opt-in)."""

    email: str = Field(
        min_length=3,
        max_length=MAX_EMAIL_LENGTH,
        description="The address to send to.",
        json_schema_extra={"format": "email"},
    )

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return str(_checked(normalise_email, value))


class SubscriptionAccepted(BaseModel):
    """The same answer whatever the address's state (no enumeration)."""

    status: Literal["accepted"] = "accepted"
    detail: str = (
        "If this address can receive Paperboy, a confirmation email is on its way. "
        "Open it to start the digest."
    )


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: Token


class SubscriptionOut(BaseModel):
    """A subscription as its owner sees it."""

    email: str
    status: Literal["pending", "active", "paused", "unsubscribed", "bounced", "complained"]
    interests: str
    topics: list[str]
    frequency: Literal["daily", "weekly"]
    weekly_day: int
    send_hour: int
    timezone: str
    created_at: datetime
    confirmed_at: datetime | None
    unsubscribed_at: datetime | None

    @classmethod
    def of(cls, subscriber: Subscriber) -> SubscriptionOut:
        return cls(
            email=subscriber.email,
            status=subscriber.status.value,
            interests=subscriber.interests,
            topics=list(subscriber.topics),
            frequency=subscriber.frequency.value,
            weekly_day=subscriber.weekly_day,
            send_hour=subscriber.send_hour,
            timezone=subscriber.timezone,
            created_at=subscriber.created_at,
            confirmed_at=subscriber.confirmed_at,
            unsubscribed_at=subscriber.unsubscribed_at,
        )


class ErrorOut(BaseModel):
    detail: str
    code: str


def preferences_of(subscriber: Subscriber) -> Preferences:
    return Preferences(
        interests=subscriber.interests,
        topics=list(subscriber.topics),
        frequency=subscriber.frequency,
        weekly_day=subscriber.weekly_day,
        send_hour=subscriber.send_hour,
        timezone=subscriber.timezone,
    )


REFERENCES_DESCRIPTION = (
    "arXiv ids (2511.19827, 2511.19827v2, hep-th/9901001), arXiv links (abs, pdf or html, "
    "any version), Hugging Face paper links (https://huggingface.co/papers/ID) or arXiv "
    "DOIs (10.48550/arXiv.ID)."
)


class BringIn(BaseModel):
    """Papers to bring: each reference names one arXiv paper."""

    model_config = ConfigDict(extra="forbid")

    references: list[Annotated[str, Field(max_length=2048)]] = Field(
        min_length=1, max_length=200, description=REFERENCES_DESCRIPTION
    )


class SkippedOut(BaseModel):
    reference: str = Field(description="The reference (or file entry) as given, shortened.")
    reason: str = Field(description="Why it was not added.")


class BringOut(BaseModel):
    """What bringing did: what it added, what was there already, what it skipped and why."""

    added: list[str] = Field(description="arXiv ids added to your brought papers.")
    already: list[str] = Field(description="arXiv ids you brought (or liked) before.")
    waiting: list[str] = Field(
        description="Added ids we have no paper for yet: being fetched from arXiv."
    )
    skipped: list[SkippedOut]
    brought: int = Field(description="How many papers you bring now.")
    limit: int = Field(description="The most papers one reader may bring.")

    @classmethod
    def of(cls, report: BringReport) -> BringOut:
        return cls(
            added=report.added,
            already=report.already,
            waiting=report.waiting,
            skipped=[SkippedOut(reference=s.reference, reason=s.reason) for s in report.skipped],
            brought=report.brought,
            limit=report.limit,
        )


class PaperOut(BaseModel):
    arxiv_id: str
    title: str | None = Field(description="The title, once we have the paper.")
    state: Literal["stored", "waiting", "missing"] = Field(
        description="stored: we have the paper; waiting: being fetched from arXiv; "
        "missing: arXiv has no paper with this id."
    )

    @classmethod
    def of(cls, paper: SteeringPaper) -> PaperOut:
        return cls(arxiv_id=paper.arxiv_id, title=paper.title, state=paper.state)


class SteeringPapersOut(BaseModel):
    """The papers that steer your digest, oldest first."""

    brought: list[PaperOut] = Field(description="Papers you brought (seeds of your digest).")
    liked: list[PaperOut] = Field(description='Papers you said "More like this" to.')
    disliked: list[PaperOut] = Field(description='Papers you said "Fewer like this" to.')
    limit: int = Field(description="The most papers one reader may bring.")

    @classmethod
    def of(cls, papers: SteeringPapers) -> SteeringPapersOut:
        return cls(
            brought=[PaperOut.of(p) for p in papers.brought],
            liked=[PaperOut.of(p) for p in papers.liked],
            disliked=[PaperOut.of(p) for p in papers.disliked],
            limit=MAX_BROUGHT,
        )
