"""Zoom webhooks, one endpoint per integration (set it as the app's event notification URL)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from vilt.api.deps import RuntimeDep
from vilt.services import zoom_webhooks

router = APIRouter(prefix="/webhooks/zoom", tags=["callbacks"])


@router.post("/{integration_id}")
async def zoom_webhook(integration_id: uuid.UUID, request: Request, runtime: RuntimeDep) -> JSONResponse:
    """``endpoint.url_validation`` is answered; every other event must carry a valid
    ``x-zm-signature`` made within the last 5 minutes. ``meeting.ended`` / ``webinar.ended`` make
    the session due; the answer never waits on Zoom (Zoom wants it within 3 seconds)."""
    body = await request.body()
    async with runtime.db.transaction() as tx:
        answer = await zoom_webhooks.receive(runtime.ctx, tx, integration_id, dict(request.headers), body)
    if answer.status == 200:
        runtime.worker.wake.set()
    return JSONResponse(answer.body, status_code=answer.status)
