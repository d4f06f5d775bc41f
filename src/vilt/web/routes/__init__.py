"""The pages, one module per area."""

from __future__ import annotations

from fastapi import APIRouter

from vilt.web.routes import account, events, home, integrations, learner, roster, sessions

router = APIRouter()
for module in (home, integrations, account, events, sessions, roster, learner):
    router.include_router(module.router)
