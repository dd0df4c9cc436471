"""Alembic migrations, installed as the package ``app.migration_scripts``.

Not code: this file only makes the folder a regular package, so that
``importlib.resources`` hands back a real directory (see app/resources.py).
"""
