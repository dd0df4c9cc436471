"""Celery app and thin tasks: each opens nothing itself and calls one ``app`` job function."""
