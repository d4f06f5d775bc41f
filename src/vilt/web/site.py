"""The whole site: the API with the pages on top of it."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from vilt.api.app import create_app
from vilt.runtime import Runtime
from vilt.web.routes import router
from vilt.web.signin_guard import SignInGuard

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    # the pages' home replaces the API's landing page (and still says that Vilt is running)
    app.router.routes[:] = [r for r in app.router.routes if not (isinstance(r, APIRoute) and r.path == "/")]
    app.state.signin_guard = SignInGuard()
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(router)


def create_site(runtime: Runtime, *, run_worker: bool | None = None) -> FastAPI:
    app = create_app(runtime, run_worker=run_worker)
    install(app)
    return app
