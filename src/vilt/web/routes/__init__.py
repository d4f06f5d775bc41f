"""The pages, one module per area."""

from __future__ import annotations

from fastapi import APIRouter

from vilt.web.routes import account, events, home, integrations, learner, people, roster, sessions, webhooks

router = APIRouter()
for module in (home, integrations, account, people, webhooks, events, sessions, roster, learner):
    router.include_router(module.router)
