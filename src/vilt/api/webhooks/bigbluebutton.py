"""BigBlueButton callbacks: the analytics callback (attendance) and the end callback."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse

from vilt.api.deps import RuntimeDep
from vilt.services import callbacks

router = APIRouter(prefix="/callbacks/bigbluebutton", tags=["callbacks"])


@router.post("/{integration_id}/analytics", response_class=PlainTextResponse)
async def analytics(integration_id: uuid.UUID, request: Request, runtime: RuntimeDep) -> PlainTextResponse:
    """Sent by BigBlueButton after a meeting: Bearer JWT (HS512, the shared secret) and JSON, or
    the older form-POST with ``signed_parameters``. A repeat answers 202 and changes nothing."""
    body = await request.body()
    form: dict[str, str] = {}
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = {k: str(v) for k, v in (await request.form()).items()}
    async with runtime.db.transaction() as tx:
        answer = await callbacks.bigbluebutton_analytics(
            runtime.ctx,
            tx,
            integration_id,
            authorization=request.headers.get("authorization"),
            body=body,
            form=form,
        )
    if answer.status < 300:
        runtime.worker.wake.set()
    return PlainTextResponse(answer.message, status_code=answer.status)


@router.get("/{integration_id}/end", response_class=PlainTextResponse)
async def meeting_ended(
    integration_id: uuid.UUID,
    runtime: RuntimeDep,
    session: Annotated[uuid.UUID, Query()],
    token: Annotated[str, Query()],
) -> PlainTextResponse:
    """``meta_endCallbackUrl``: BigBlueButton's unsigned GET when a meeting ends."""
    async with runtime.db.transaction() as tx:
        answer = await callbacks.bigbluebutton_end(runtime.ctx, tx, integration_id, session, token)
    if answer.status < 300:
        runtime.worker.wake.set()
    return PlainTextResponse(answer.message, status_code=answer.status)
