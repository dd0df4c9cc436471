"""ASGI entry point for process managers: ``uvicorn app.web.asgi:app``."""

from app.web.app import create_app

app = create_app()
