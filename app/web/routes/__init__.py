"""Routers: public pages, the JSON API, admin pages."""
