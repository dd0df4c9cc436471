"""What the web app holds for its lifetime: settings, engine, session factory, templates."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db import make_engine, make_session_factory
from app.resources import templates_dir
from app.urls import safe_http_url
from app.wording import plural

# How long a request waits for SQLite's write lock before answering 503 (app/db.py).
WEB_BUSY_TIMEOUT_SECONDS = 5.0


@dataclass
class AppState:
    settings: Settings
    secret_key: str
    engine: Engine
    session_factory: sessionmaker[Session]
    read_session_factory: sessionmaker[Session]
    templates: Jinja2Templates

    @classmethod
    def build(cls, settings: Settings, engine: Engine | None = None) -> AppState:
        engine = engine or make_engine(
            settings.database_url, busy_timeout_seconds=WEB_BUSY_TIMEOUT_SECONDS
        )
        templates = Jinja2Templates(directory=templates_dir())
        # Starlette's url_for writes the request's Host header into the URL, so a request
        # naming another host got a page (cacheable by a shared cache) loading that host's
        # assets. Pages link root-relative paths, or settings.base_url where a URL must be
        # absolute (canonical, og:url); without url_for a template cannot slip back.
        del templates.env.globals["url_for"]
        templates.env.globals["settings"] = settings
        templates.env.filters["plural"] = plural
        # Every outside URL a page links to goes through the one check (app/urls.py).
        templates.env.filters["safe_url"] = safe_http_url
        return cls(
            settings=settings,
            secret_key=settings.resolved_secret_key(),
            engine=engine,
            session_factory=make_session_factory(engine),
            read_session_factory=make_session_factory(engine, read_only=True),
            templates=templates,
        )
