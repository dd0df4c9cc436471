"""The public Daily Papers site's queries: day, week, month, search, paper pages and feeds.

Plain functions that take a ``Session`` and return plain dataclasses the
templates render; no commit, no HTTP. ``periods`` parses the URLs' dates,
``listing`` ranks a period's papers, ``paper_page`` gathers one paper,
``search`` retrieves from the full-text index and re-ranks with the ranker,
``feeds`` builds the Atom feed and the sitemap.
"""
