"""Where Paperboy's files that are not code live: templates, static files, migrations.

The one place that knows. Everything is found with ``importlib.resources``, so it
works from a wheel installed anywhere as well as from a checkout: ``templates/``
and ``migrations/`` sit at the top of the repository and install as the packages
``app.templates`` and ``app.migration_scripts`` (see setup.py).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path


def _directory(package: str, *parts: str) -> Path:
    found = files(package).joinpath(*parts)
    # Installed packages are plain folders (pip unpacks wheels), never zip archives.
    path = Path(str(found))
    if not path.is_dir():
        raise FileNotFoundError(f"Paperboy's {'/'.join((package, *parts))} is missing: reinstall")
    return path


@cache
def templates_dir() -> Path:
    """The Jinja templates root: ``web/``, ``admin/``, ``email/``."""
    return _directory("app.templates")


@cache
def email_templates_dir() -> Path:
    """The digest and confirmation mail templates (and ``digest.css``)."""
    return templates_dir() / "email"


@cache
def static_dir() -> Path:
    """Files served under ``/static``."""
    return _directory("app.web", "static")


@cache
def swagger_ui_dir() -> Path:
    """Swagger UI's own files (the swagger-ui-bundle package), served by ``/api/docs``."""
    from swagger_ui_bundle import swagger_ui_path

    return Path(swagger_ui_path)


@cache
def migrations_dir() -> Path:
    """Alembic's script location (``env.py``, ``versions/``)."""
    return _directory("app.migration_scripts")


@cache
def alembic_ini() -> Path:
    """The Alembic config that ships beside the migrations."""
    return migrations_dir() / "alembic.ini"


def demo_sample() -> Path:
    """Two days of real Daily Papers (trimmed) for ``paperboy demo``."""
    return Path(str(files("app.demo").joinpath("daily-papers-2025-11-26-27.json")))
