"""The ASGI application: REST API, callbacks, health, metrics, the sandbox, the landing page."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from html import escape

from fastapi import FastAPI, Response
from fastapi.responses import HTMLResponse, JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from vilt import __version__
from vilt.api import lti as lti_api
from vilt.api import problems
from vilt.api.deps import KeyCache
from vilt.api.rest import (
    attendance,
    calendar,
    deliveries,
    enrollments,
    event_results,
    events,
    integrations,
    oauth,
    providers,
    roster,
    sandbox,
    sessions,
    teams,
    users,
    webhook_endpoints,
)
from vilt.api.webhooks import bigbluebutton, zoom
from vilt.runtime import Runtime

DESCRIPTION = """
Vilt connects learning platforms to live virtual classrooms.

Authenticate with an API key (`vilt apikey create`): `Authorization: Bearer <key>`.
Errors are `application/problem+json` with `errors: [{field, reason}]` for invalid fields.
Lists are paged: pass `next_cursor` back as `cursor`.
"""


def create_app(runtime: Runtime, *, run_worker: bool | None = None) -> FastAPI:
    embedded = runtime.settings.embedded_worker if run_worker is None else run_worker

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = None
        if embedded:
            task = asyncio.create_task(
                runtime.worker.run_forever(stop, runtime.settings.worker_interval_seconds)
            )
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                await task
            await runtime.aclose()

    app = FastAPI(
        title="Vilt",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.key_cache = KeyCache()
    problems.install(app)
    for module in (
        providers,
        integrations,
        deliveries,
        webhook_endpoints,
        teams,
        users,
        events,
        event_results,
        sessions,
        enrollments,
        attendance,
        roster,
        calendar,
    ):
        app.include_router(module.router, prefix="/api/v1")
    app.include_router(oauth.router, prefix="/api/v1")
    app.include_router(sandbox.router, prefix="/api/v1", include_in_schema=runtime.sandbox)
    app.include_router(bigbluebutton.router, prefix="/api/v1")
    lti_api.install(app)
    app.include_router(zoom.router, prefix="/api/v1")
    for kind, simulator in runtime.simulators.items():
        app.mount(runtime.sandbox_prefix(kind), simulator.app, name=f"sandbox-{kind}")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        ok = await runtime.db.ping()
        return JSONResponse(
            {"status": "ok" if ok else "database unreachable"}, status_code=200 if ok else 503
        )

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def landing() -> str:
        return landing_page(runtime)

    runtime.route_to_self(app)
    return app


def landing_page(runtime: Runtime) -> str:
    sims = "".join(
        f'<li><a href="{escape(runtime.sandbox_prefix(k))}/_sim/meetings">{escape(k)} simulator</a></li>'
        for k in runtime.simulators
    )
    sandbox = (
        f"<h2>Sandbox</h2><p>Simulated providers answer here; the clock can be moved with "
        f"<code>POST /api/v1/sandbox/clock</code>.</p><ul>{sims}</ul>"
        if runtime.sandbox
        else ""
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vilt</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;
color:#1d2433}}
code{{background:#f1f3f7;padding:.1rem .3rem;border-radius:.2rem}}a{{color:#1f5fbf}}</style></head>
<body><h1>Vilt is running</h1>
<p>Version {escape(__version__)}. Vilt connects your learning platform to live virtual classrooms.</p>
<ul>
<li><a href="/docs">API documentation</a> (interactive)</li>
<li><a href="/openapi.json">OpenAPI document</a></li>
<li><a href="/healthz">Health</a> and <a href="/readyz">readiness</a></li>
</ul>
{sandbox}
</body></html>"""
