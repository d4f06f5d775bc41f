"""``/sessions/{id}``: one session, its lifecycle and its launch."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.api.deps import PrincipalDep, RuntimeDep
from vilt.api.rest.common import ERRORS, Body, Int32
from vilt.core.sessions import local_time
from vilt.runtime import Runtime
from vilt.services import launch as launch_service
from vilt.services import sessions as service
from vilt.services.sessions import SessionInput
from vilt.storage.models import Integration, Session
from vilt.storage.repositories import enrollments as enrollments_repo
from vilt.storage.repositories import events as events_repo

router = APIRouter(prefix="/sessions", tags=["sessions"], responses=ERRORS)


class SessionFields(Body):
    title: str | None = Field(default=None, description="Defaults to the event's title.")
    starts_at: datetime | None = Field(default=None, description="An instant with its offset.")
    time_zone: str | None = Field(default=None, description="IANA zone the session is shown in.")
    duration_minutes: Int32 | None = Field(default=None, description="1 to 1439.")
    integration_id: uuid.UUID | None = Field(default=None, description="Empty for an offline record.")
    capacity: Int32 | None = Field(default=None, description="Overrides the event's capacity.")
    instructor_ids: list[uuid.UUID] | None = None
    completion_rule: dict[str, Any] | None = Field(default=None, description="Overrides the event's rule.")

    def to_input(self) -> SessionInput:
        return SessionInput(provided=self.provided(), **self.model_dump())


class SessionCreate(SessionFields):
    starts_at: datetime
    duration_minutes: Int32


class ProviderSync(BaseModel):
    ref: str | None = Field(description="The provider's meeting id or key.")
    state: str = Field(description="synced | pending | failed")
    error: str | None = Field(description="Why the last push failed; it is retried.")
    attempts: int
    retry_at: datetime | None
    pending_deletions: int


class AttendanceStatus(BaseModel):
    state: str = Field(description="not_due | waiting | received | closed")
    note: str | None
    next_fetch_at: datetime | None


class RosterStatus(BaseModel):
    submitted_at: datetime | None
    submitted_by: str | None
    update_allowed_at: datetime | None


class LaunchWindows(BaseModel):
    learner_opens_at: datetime
    instructor_opens_at: datetime


class SessionOut(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    title: str
    starts_at: datetime
    starts_at_local: datetime = Field(description="The start in the session's own time zone.")
    ends_at: datetime
    time_zone: str
    duration_minutes: int
    integration_id: uuid.UUID | None
    capacity: int | None
    instructor_ids: list[uuid.UUID]
    completion_rule: dict[str, Any] | None
    state: str
    started_at: datetime | None
    ended_at: datetime | None
    ended_by: str | None
    provider: ProviderSync
    attendance: AttendanceStatus
    roster: RosterStatus
    launch: LaunchWindows
    enrollments: dict[str, int]
    updated_at: datetime


async def session_out(runtime: Runtime, tx: AsyncSession, row: Session) -> SessionOut:
    integration = await tx.get(Integration, row.integration_id) if row.integration_id else None
    learner_lead = timedelta(minutes=integration.learner_lead_minutes if integration else 15)
    instructor_lead = timedelta(minutes=integration.instructor_lead_minutes if integration else 30)
    return SessionOut(
        id=row.id,
        event_id=row.event_id,
        title=row.title,
        starts_at=row.starts_at,
        starts_at_local=local_time(row.starts_at, row.time_zone),
        ends_at=row.starts_at + timedelta(minutes=row.duration_minutes),
        time_zone=row.time_zone,
        duration_minutes=row.duration_minutes,
        integration_id=row.integration_id,
        capacity=row.capacity,
        instructor_ids=await events_repo.instructor_ids(tx, row.id),
        completion_rule=row.completion_rule,
        state=row.state,
        started_at=row.started_at,
        ended_at=row.ended_at,
        ended_by=row.ended_by,
        provider=ProviderSync(
            ref=row.provider_ref,
            state=row.sync_state,
            error=row.sync_error,
            attempts=row.sync_attempts,
            retry_at=row.sync_retry_at,
            pending_deletions=len(row.stale_meetings),
        ),
        attendance=AttendanceStatus(
            state=row.attendance_state, note=row.attendance_note, next_fetch_at=row.attendance_next_at
        ),
        roster=RosterStatus(
            submitted_at=row.roster_submitted_at,
            submitted_by=row.roster_submitted_by,
            update_allowed_at=row.ended_at + timedelta(hours=24) if row.ended_at else None,
        ),
        launch=LaunchWindows(
            learner_opens_at=row.starts_at - learner_lead, instructor_opens_at=row.starts_at - instructor_lead
        ),
        enrollments=await enrollments_repo.counts(tx, row.id),
        updated_at=row.updated_at,
    )


async def push_now(runtime: Runtime, account_id: uuid.UUID, session_id: uuid.UUID) -> SessionOut:
    """The change is committed with the intent to push; now try at once so the answer shows the
    outcome. If another worker holds the session, the answer shows it pending."""
    await runtime.worker.run_now(session_id)
    async with runtime.db.reading() as tx:
        return await session_out(runtime, tx, await service.get(tx, account_id, session_id))


@router.get("/{session_id}", response_model=SessionOut)
async def get_session(session_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep) -> SessionOut:
    async with runtime.db.reading() as tx:
        return await session_out(runtime, tx, await service.get(tx, principal.account_id, session_id))


@router.patch("/{session_id}", response_model=SessionOut)
async def update_session(
    session_id: uuid.UUID, body: SessionFields, runtime: RuntimeDep, principal: PrincipalDep
) -> SessionOut:
    """Change a session; the provider meeting follows (a new integration means the old meeting
    is deleted and a new one created)."""
    async with runtime.db.transaction() as tx:
        await service.update(
            runtime.ctx, tx, principal.account_id, session_id, body.to_input(), principal.actor
        )
    return await push_now(runtime, principal.account_id, session_id)


class CancelBody(Body):
    reason: str | None = None


@router.post("/{session_id}/cancel", response_model=SessionOut)
async def cancel_session(
    session_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep, body: CancelBody | None = None
) -> SessionOut:
    async with runtime.db.transaction() as tx:
        await service.cancel(
            runtime.ctx, tx, principal.account_id, session_id, principal.actor, body.reason if body else None
        )
    return await push_now(runtime, principal.account_id, session_id)


@router.post("/{session_id}/start", response_model=SessionOut)
async def start_session(session_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep) -> SessionOut:
    """Mark the session live (learners see Join). Allowed from the instructor's lead time."""
    async with runtime.db.transaction() as tx:
        await service.start(runtime.ctx, tx, principal.account_id, session_id, principal.actor)
    return await push_now(runtime, principal.account_id, session_id)


@router.post("/{session_id}/end", response_model=SessionOut)
async def end_session(session_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep) -> SessionOut:
    """End the session here and on the provider; attendance is fetched afterwards."""
    async with runtime.db.transaction() as tx:
        await service.end(runtime.ctx, tx, principal.account_id, session_id, principal.actor)
    return await push_now(runtime, principal.account_id, session_id)


@router.post("/{session_id}/sync", response_model=SessionOut)
async def retry_sync(session_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep) -> SessionOut:
    """Retry a failed push now instead of waiting for the back-off."""
    async with runtime.db.transaction() as tx:
        await service.retry_sync(runtime.ctx, tx, principal.account_id, session_id)
    return await push_now(runtime, principal.account_id, session_id)


class LaunchBody(Body):
    user_id: uuid.UUID


class LaunchOut(BaseModel):
    url: str
    role: str = Field(description="host | participant")


@router.post("/{session_id}/launch", response_model=LaunchOut)
async def launch_session(
    session_id: uuid.UUID, body: LaunchBody, runtime: RuntimeDep, principal: PrincipalDep
) -> LaunchOut:
    """The URL a user enters the session with. Before the window opens: 409 with ``opens_at``."""
    answer = await launch_service.launch(
        runtime.ctx, runtime.db, principal.account_id, session_id, body.user_id
    )
    return LaunchOut(url=answer.url, role=answer.role.value)


@router.get("/{session_id}/launch", response_class=RedirectResponse, status_code=303)
async def launch_redirect(
    session_id: uuid.UUID,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    user_id: Annotated[uuid.UUID, Query()],
) -> RedirectResponse:
    """The same as POST, answered with a redirect to the meeting."""
    answer = await launch_service.launch(runtime.ctx, runtime.db, principal.account_id, session_id, user_id)
    return RedirectResponse(answer.url, status_code=303)
