"""HTTP: the FastAPI app factory, routes, forms and dependencies (thin; calls services)."""
