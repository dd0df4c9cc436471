"""Jinja templates (web/, admin/, email/), installed as the package ``app.templates``.

Not code: this file only makes the folder a regular package, so that
``importlib.resources`` hands back a real directory (see app/resources.py).
"""
