"""HTTP edge: the REST API, provider callbacks, health and the landing page."""
