"""The LTI 1.3 tool's HTTP edge: launches and their pages, and ``/api/v1/lti`` for integrators."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from vilt.api.lti import deep_link, landing, proctoring, registration, rest, tool, uef


def install(app: FastAPI) -> None:
    for module in (tool, landing, deep_link, proctoring, registration, uef):
        app.include_router(module.router, include_in_schema=False)
    app.include_router(rest.router, prefix="/api/v1")
    app.mount("/lti/static", StaticFiles(directory=Path(__file__).parent / "static"), name="lti-static")
