"""Request dependencies: the app state, a transactional session, settings.

"Answered means committed": the request's session is a ``scope="function"``
dependency, so FastAPI runs its exit code (the commit) as soon as the route
function returns and *before* the response is sent. With the default
``scope="request"`` the exit code runs after the response has left, and a
crash in between loses an answer the client was already told succeeded (a
one-click unsubscribe, which mail providers never retry). A failed commit
therefore becomes the request's error response, never a silent loss.
"""

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


READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(
    request: Request, state: Annotated[AppState, Depends(get_state)]
) -> Iterator[Session]:
    """One unit of work per request: committed when the handler returns, before the
    response is sent; rolled back on error.

    GET requests change nothing, so they get a reader session (on SQLite it takes
    no write lock, see app/db.py); a GET route that records something (a click,
    a cached figure) asks for ``WriteSessionDep`` instead.
    """
    reading = request.method in READING_METHODS
    factory = state.read_session_factory if reading else state.session_factory
    with transaction(factory) as session:
        yield session


def get_write_session(state: Annotated[AppState, Depends(get_state)]) -> Iterator[Session]:
    """A writer session whatever the method (committed before the response, as above)."""
    with transaction(state.session_factory) as session:
        yield session


async def get_settings_dep(state: Annotated[AppState, Depends(get_state)]) -> Settings:
    return state.settings


StateDep = Annotated[AppState, Depends(get_state)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
WriteSessionDep = Annotated[Session, Depends(get_write_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
