"""What the web app holds for its lifetime: settings, engine, session factory, templates."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db import make_engine, make_session_factory
from app.resources import templates_dir
from app.wording import plural


@dataclass
class AppState:
    settings: Settings
    secret_key: str
    engine: Engine
    session_factory: sessionmaker[Session]
    templates: Jinja2Templates

    @classmethod
    def build(cls, settings: Settings, engine: Engine | None = None) -> AppState:
        engine = engine or make_engine(settings.database_url)
        templates = Jinja2Templates(directory=templates_dir())
        templates.env.globals["settings"] = settings
        templates.env.filters["plural"] = plural
        return cls(
            settings=settings,
            secret_key=settings.resolved_secret_key(),
            engine=engine,
            session_factory=make_session_factory(engine),
            templates=templates,
        )
