"""Calendars: ``/sessions/{id}/calendar.ics`` (with an API key), a person's feed at a secret
URL ``/calendar/{token}.ics`` (no API key: calendar apps cannot send one), and managing that
URL under ``/users/{id}/calendar-feed``."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from vilt.api.deps import PrincipalDep, RuntimeDep
from vilt.api.rest.common import ERRORS
from vilt.services import calendar as service
from vilt.services import sessions as sessions_service

router = APIRouter(tags=["calendar"], responses=ERRORS)

ICS = service.ICS_MEDIA_TYPE
ICS_RESPONSE: dict[int | str, dict[str, object]] = {200: {"content": {"text/calendar": {}}}}


class FeedOut(BaseModel):
    url: str = Field(description="Subscribe to this in a calendar app; anyone with it can read the schedule.")
    created_at: datetime


@router.get("/sessions/{session_id}/calendar.ics", response_class=Response, responses=ICS_RESPONSE)
async def session_calendar(session_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep) -> Response:
    """The session as iCalendar: METHOD:PUBLISH, or METHOD:CANCEL once canceled; SEQUENCE grows
    with every change to its time or title."""
    async with runtime.db.reading() as tx:
        session = await sessions_service.get(tx, principal.account_id, session_id)
        body = await service.session_ics(runtime.ctx, tx, session)
    return Response(
        body,
        media_type=ICS,
        headers={"Content-Disposition": f'attachment; filename="session-{session_id}.ics"'},
    )


@router.get("/calendar/{token}.ics", response_class=Response, responses=ICS_RESPONSE)
async def schedule_feed(token: str, runtime: RuntimeDep) -> Response:
    """A person's schedule (sessions they attend or teach), at the secret URL of their feed."""
    async with runtime.db.reading() as tx:
        user = await service.user_by_token(tx, token)
        body = await service.schedule_ics(runtime.ctx, tx, user)
    return Response(body, media_type=ICS, headers={"Cache-Control": "private, max-age=300"})


@router.get("/users/{user_id}/calendar-feed", response_model=FeedOut)
async def get_feed(user_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep) -> FeedOut:
    async with runtime.db.reading() as tx:
        link = await service.feed_link(runtime.ctx, tx, principal.account_id, user_id)
    return FeedOut(url=link.url, created_at=link.created_at)


@router.post("/users/{user_id}/calendar-feed", response_model=FeedOut, status_code=201)
async def new_feed(user_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep) -> FeedOut:
    """Create the person's feed URL, or replace it (the old URL stops working at once)."""
    async with runtime.db.transaction() as tx:
        link = await service.new_feed(runtime.ctx, tx, principal.account_id, user_id, principal.actor)
    return FeedOut(url=link.url, created_at=link.created_at)


@router.delete("/users/{user_id}/calendar-feed", status_code=204, response_class=Response)
async def revoke_feed(user_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep) -> Response:
    async with runtime.db.transaction() as tx:
        await service.revoke_feed(runtime.ctx, tx, principal.account_id, user_id, principal.actor)
    return Response(status_code=204)
