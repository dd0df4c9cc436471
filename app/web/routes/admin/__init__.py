"""The admin dashboard's pages and its small JSON API (every route requires ``AdminDep``)."""

from __future__ import annotations

from fastapi import APIRouter

from app.web.routes.admin import auth, editions, outbox, overview, papers, subscribers

router = APIRouter(include_in_schema=False)
for module in (auth, overview, editions, subscribers, papers, outbox):
    router.include_router(module.router)
