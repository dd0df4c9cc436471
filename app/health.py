"""Health checks of the parts Paperboy depends on."""

from __future__ import annotations

import logging

from kombu import Connection
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)


def check_database(engine: Engine) -> bool:
    """True when a trivial query succeeds."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        log.warning("database health check failed: %s", error)
        return False
    return True


def check_broker(broker_url: str) -> bool:
    """True when the broker accepts a connection within two seconds."""
    try:
        with Connection(broker_url, connect_timeout=2) as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
    except Exception as error:
        log.warning("broker health check failed: %s", error)
        return False
    return True
