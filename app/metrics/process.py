"""Figures measured inside a process: SMTP send latency, HTTP request latency.

Each process keeps its own; with ``PROMETHEUS_MULTIPROC_DIR`` set (the same folder for
web and worker processes, see docker-compose.yml) prometheus-client writes them to
files there, and a scrape of any web process adds up every process's files.
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import Histogram

# prometheus-client writes this process's files there as the histograms are made: a
# folder that is not there yet (a fresh machine, a tmpfs after reboot) is made, not a crash.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)

SMTP_SEND_SECONDS = Histogram(
    "paperboy_smtp_send_seconds",
    "Time for the SMTP server to take one message (from the first command to its reply).",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

HTTP_REQUEST_SECONDS = Histogram(
    "paperboy_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template (not the raw path).",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
