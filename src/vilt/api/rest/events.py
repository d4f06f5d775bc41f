"""``/events``: learning items, and scheduling their sessions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from vilt.api.deps import PrincipalDep, RuntimeDep
from vilt.api.rest.common import ERRORS, Body, Cursor, Int32, Limit, Page
from vilt.api.rest.sessions import SessionCreate, SessionOut, push_now, session_out
from vilt.services import events as service
from vilt.services import sessions as sessions_service
from vilt.services.events import EventInput
from vilt.storage.models import Event
from vilt.storage.repositories import events as repo
from vilt.storage.repositories.paging import paginate

router = APIRouter(prefix="/events", tags=["events"], responses=ERRORS)


class EventFields(Body):
    title: str | None = None
    kind: str | None = Field(default=None, description="webinar | meeting")
    description: str | None = None
    trainer: str | None = Field(default=None, description="Free text: any person, user or not.")
    location: str | None = Field(default=None, description='Defaults to "Online".')
    capacity: Int32 | None = Field(default=None, description="Empty for unlimited.")
    session_mode: str | None = Field(default=None, description="alternative | series")
    completion_rule: dict[str, Any] | None = Field(
        default=None, description='e.g. {"kind": "min_percent", "value": 80}'
    )
    series_required_parts: int | None = Field(
        default=None, description="A series is complete after this many parts (N of M); empty: every part."
    )
    owner_team_id: uuid.UUID | None = None

    def to_input(self) -> EventInput:
        return EventInput(provided=self.provided(), **self.model_dump())


class EventCreate(EventFields):
    title: str


class EventOut(BaseModel):
    id: uuid.UUID
    title: str
    kind: str
    description: str
    trainer: str
    location: str
    capacity: int | None
    session_mode: str
    completion_rule: dict[str, Any]
    series_required_parts: int | None
    owner_team_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


def event_out(row: Event) -> EventOut:
    return EventOut(
        id=row.id,
        title=row.title,
        kind=row.kind,
        description=row.description,
        trainer=row.trainer,
        location=row.location,
        capacity=row.capacity,
        session_mode=row.session_mode,
        completion_rule=dict(row.completion_rule),
        series_required_parts=row.series_required_parts,
        owner_team_id=row.owner_team_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@router.get("", response_model=Page[EventOut])
async def list_events(
    runtime: RuntimeDep, principal: PrincipalDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[EventOut]:
    async with runtime.db.reading() as tx:
        page = await paginate(tx, repo.events_listing(principal.account_id), limit, cursor)
        return Page(items=[event_out(e) for e in page.items], next_cursor=page.next_cursor)


@router.post("", response_model=EventOut, status_code=201)
async def create_event(body: EventCreate, runtime: RuntimeDep, principal: PrincipalDep) -> EventOut:
    async with runtime.db.transaction() as tx:
        return event_out(
            await service.create(runtime.ctx, tx, principal.account_id, body.to_input(), principal.actor)
        )


@router.get("/{event_id}", response_model=EventOut)
async def get_event(event_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep) -> EventOut:
    async with runtime.db.reading() as tx:
        return event_out(await service.get(tx, principal.account_id, event_id))


@router.patch("/{event_id}", response_model=EventOut)
async def update_event(
    event_id: uuid.UUID, body: EventFields, runtime: RuntimeDep, principal: PrincipalDep
) -> EventOut:
    async with runtime.db.transaction() as tx:
        return event_out(
            await service.update(
                runtime.ctx, tx, principal.account_id, event_id, body.to_input(), principal.actor
            )
        )


@router.get("/{event_id}/sessions", response_model=Page[SessionOut])
async def list_sessions(
    event_id: uuid.UUID,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[SessionOut]:
    async with runtime.db.reading() as tx:
        await service.get(tx, principal.account_id, event_id)
        page = await paginate(tx, repo.sessions_listing(principal.account_id, event_id), limit, cursor)
        return Page(
            items=[await session_out(runtime, tx, s) for s in page.items], next_cursor=page.next_cursor
        )


@router.post("/{event_id}/sessions", response_model=SessionOut, status_code=201)
async def create_session(
    event_id: uuid.UUID, body: SessionCreate, runtime: RuntimeDep, principal: PrincipalDep
) -> SessionOut:
    """Schedule a session. With an integration, the meeting is created on the provider at once;
    if that fails the session is kept, the reason shown in ``provider.error``, and the push retried."""
    async with runtime.db.transaction() as tx:
        event = await service.get(tx, principal.account_id, event_id)
        session = await sessions_service.create(runtime.ctx, tx, event, body.to_input(), principal.actor)
    return await push_now(runtime, principal.account_id, session.id)
