"""Request dependencies: the app state, a transactional session, settings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import transaction
from app.web.state import AppState


async def get_state(request: Request) -> AppState:
    # async: a plain attribute read must not cost a hop through the threadpool.
    state: AppState = request.app.state.paperboy
    return state


def get_session(state: Annotated[AppState, Depends(get_state)]) -> Iterator[Session]:
    """One session per request: committed when the handler returns, rolled back on error."""
    with transaction(state.session_factory) as session:
        yield session


async def get_settings_dep(state: Annotated[AppState, Depends(get_state)]) -> Settings:
    return state.settings


StateDep = Annotated[AppState, Depends(get_state)]
SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
