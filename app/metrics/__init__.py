"""Operational figures for Prometheus (``GET /metrics``), every name starting ``paperboy_``.

- ``figures``: what lives in the database (deliveries, subscribers, editions, ingests),
  read at scrape time, so any process's ``/metrics`` is right whoever did the work.
- ``process``: what is measured where it happens (SMTP latency, HTTP latency).
- ``exposition``: one scrape's registry and its text.
"""
