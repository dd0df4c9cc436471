"""ASGI entry point for process managers: ``uvicorn app.web.asgi:app``."""

from app.config import get_settings
from app.logs import configure_logging
from app.web.app import create_app

settings = get_settings()
configure_logging(settings.log_format, settings.log_level or "INFO")
app = create_app(settings)
