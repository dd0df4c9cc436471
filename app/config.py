"""Settings: one typed object read from the environment (prefix ``PAPERBOY_``).

Embedded defaults make ``paperboy run`` work on a fresh machine: SQLite under
``var/``, tasks in-process, mail written to ``var/outbox``, and a secret key
generated into ``var/secret_key`` on first use. Production mode refuses to start
without a real secret.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "dev", "development"})
# It signs every token and cookie: short enough to guess is no secret.
MIN_SECRET_LENGTH = 32


class ConfigurationError(RuntimeError):
    """The settings cannot be used as given (the message says which one and why)."""


class Settings(BaseSettings):
    """Everything Paperboy can be told from outside, with embedded defaults."""

    model_config = SettingsConfigDict(env_prefix="PAPERBOY_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    var_dir: Path = Path("var")

    database_url: str = ""
    broker_url: str | None = None
    redis_url: str | None = None
    mail_url: str = ""
    base_url: str = "http://localhost:8000"
    secret_key: str = ""
    from_address: str = "Paperboy <digest@paperboy.localhost>"
    postal_address: str = "Paperboy, self-hosted digest service"
    list_id: str = ""
    # Logs: "text" for people, "json" for one JSON object per line (app/logs.py).
    log_format: Literal["text", "json"] = "text"
    # Empty: INFO for servers and workers, ERROR for one-off commands (they print their outcome).
    log_level: str = ""

    # Abuse control; the defaults let a person retry a few times.
    rate_limit_enabled: bool = True
    # Proxies whose X-Forwarded-For/-Proto are believed (uvicorn's forwarded_allow_ips):
    # comma-separated addresses or networks, or "*" for any. Others' headers are ignored.
    forwarded_allow_ips: str = "127.0.0.1"
    subscribe_per_minute_per_ip: int = 20
    confirmation_mails_per_hour: int = 3
    max_body_bytes: int = 64 * 1024
    confirm_token_max_age_seconds: int = 3 * 24 * 3600

    # Admin sessions.
    admin_session_max_age_seconds: int = 12 * 3600
    # Failed sign-ins: the admin_max_failed_logins-th failure on one email from one client
    # address (or the admin_max_failed_logins_per_address-th over all emails) refuses that
    # address for the rest of an admin_lockout_seconds window; other addresses may still
    # sign in. admin_account_lock_failures failures in a row, from anywhere, lock the account
    # itself for admin_lockout_seconds (doubling with each further failure).
    admin_max_failed_logins: int = 5
    admin_max_failed_logins_per_address: int = 20
    admin_account_lock_failures: int = 100
    admin_lockout_seconds: int = 15 * 60
    # The admin's CSV import upload may exceed max_body_bytes (about 100k rows).
    admin_import_max_bytes: int = 20 * 1024 * 1024
    # A reader's BibTeX, RIS or Zotero CSV export (papers they bring): a library of a
    # few thousand entries; larger files are refused with a sentence.
    reader_import_max_bytes: int = 1024 * 1024

    # Sending.
    delivery_lease_seconds: int = 300
    delivery_max_attempts: int = 5
    send_chunk_size: int = 500
    send_rate_per_worker: float = 0.0  # messages per second; 0 means unthrottled
    send_pause_error_rate: float = 0.5
    send_pause_min_attempts: int = 50
    digest_default_k: int = 7
    open_tracking: bool = False
    dkim_private_key_path: Path | None = None
    dkim_selector: str = "paperboy"
    webhook_token: str = ""
    # Deliveries claimed (and rendered) together inside a chunk.
    send_batch_size: int = 50
    # At most this many settled outcomes are not yet written (1: each one is written, in the
    # background, as the next message goes out), so a killed worker re-sends at most these
    # plus what was on the wire.
    send_record_every: int = 1
    # How long work waits out a database outage (a restart, a failover) before giving up.
    database_outage_seconds: float = 300.0
    # Temporary failures wait base * 2**(attempt-1) seconds before the next try.
    delivery_retry_base_seconds: float = 60.0
    # How often the recovery job looks for stale and orphaned deliveries.
    recovery_interval_seconds: int = 60
    # Papers in a digest's "Trending today" section (after the personal picks).
    digest_trending_count: int = 3
    # Candidates: papers featured on the edition's day and this many days before
    # (papers a subscriber already received are never repeated).
    edition_lookback_days: int = 6
    # Envelope sender (Return-Path) for digests; empty = the From address.
    bounce_address: str = ""

    # Ingest.
    hf_token: str | None = None
    hf_api_url: str = "https://huggingface.co/api/daily_papers"
    hf_page_url: str = "https://huggingface.co/papers"
    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    arxiv_min_interval_seconds: float = 3.0
    # arXiv category listing feeds: a second source of (unfeatured) papers, off by default.
    arxiv_feed_enabled: bool = False
    arxiv_feed_url: str = "https://rss.arxiv.org/rss"
    arxiv_feed_categories: list[str] = Field(default_factory=lambda: ["cs.LG"])
    http_timeout_seconds: float = 20.0
    http_max_total_seconds: float = 120.0
    ingest_hours_utc: list[int] = Field(default_factory=lambda: [6, 10, 14, 18, 22])
    send_hour_utc: int = 7

    # Ranking.
    ranking_backend: Literal["tfidf", "dense"] = "tfidf"
    # The rolling corpus TF-IDF is fitted on (and seed / clicked papers are found in):
    # papers featured or published this many days before an edition.
    ranking_corpus_days: int = 30

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str) -> str:
        # A plain postgresql:// means psycopg 3, the only driver we ship.
        for prefix in ("postgresql://", "postgres://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @model_validator(mode="after")
    def _fill_embedded_defaults(self) -> Settings:
        var = self.var_dir.resolve()
        if not self.database_url:
            self.database_url = f"sqlite:///{var / 'paperboy.db'}"
        if not self.mail_url:
            self.mail_url = f"file://{var / 'outbox'}"
        if self.redis_url is None and self.broker_url and self.broker_url.startswith("redis"):
            self.redis_url = self.broker_url
        self.base_url = self.base_url.rstrip("/")
        if not self.list_id:
            self.list_id = f"Paperboy daily digest <digest.{self.mail_domain}>"
        secret = self.secret_key.strip()
        if self.environment == "production" and (
            secret in PLACEHOLDER_SECRETS or len(secret) < MIN_SECRET_LENGTH
        ):
            raise ConfigurationError(
                "PAPERBOY_SECRET_KEY must be set to a long random value in production "
                f"(at least {MIN_SECRET_LENGTH} characters; e.g. "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`)."
            )
        return self

    @property
    def mail_domain(self) -> str:
        """The domain our Message-IDs and List-Id live on (the sender's domain)."""
        address = self.from_address.rsplit("<", 1)[-1].rstrip(">").strip()
        if "@" in address:
            return address.rsplit("@", 1)[1].lower()
        return urlsplit(self.base_url).hostname or "localhost"

    @property
    def served_over_https(self) -> bool:
        """Whether ``base_url`` is https (any case): HSTS and Secure cookies follow it."""
        return urlsplit(self.base_url).scheme.lower() == "https"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def embedded_tasks(self) -> bool:
        """True when tasks run in-process (no broker configured)."""
        return not self.broker_url

    @property
    def outbox_dir(self) -> Path | None:
        """The folder of the ``file://`` mail transport, if that is the one in use."""
        if self.mail_url.startswith("file://"):
            return Path(urlsplit(self.mail_url).path)
        return None

    def resolved_secret_key(self) -> str:
        """The secret key, generated into ``var/secret_key`` on first use in development."""
        if self.secret_key.strip() not in PLACEHOLDER_SECRETS:
            return self.secret_key
        path = self.var_dir.resolve() / "secret_key"
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key + "\n")
        path.chmod(0o600)
        return key


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests build their own ``Settings`` instead)."""
    return Settings()
