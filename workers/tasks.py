"""Tasks: each opens its own session, calls one service and commits."""

from __future__ import annotations
