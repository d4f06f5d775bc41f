"""``/sessions/{id}/roster``: the LMS-facing results, versions, edits, update and submit."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from vilt.api.deps import PrincipalDep, RuntimeDep
from vilt.api.rest.common import ERRORS, Body, Count
from vilt.core.completion import AttendanceMark, Completion
from vilt.core.roster import RosterEntry, summary
from vilt.services import roster as service
from vilt.services import roster_update
from vilt.services import sessions as sessions_service
from vilt.storage.models import User
from vilt.storage.repositories import audit as audit_repo
from vilt.storage.repositories import enrollments as enrollments_repo

router = APIRouter(prefix="/sessions/{session_id}/roster", tags=["roster"], responses=ERRORS)


class EntryOut(BaseModel):
    enrollment_id: uuid.UUID
    user_id: uuid.UUID
    display_name: str
    email: str
    attendance: str = Field(description="attended | absent | unknown")
    completion: str = Field(description="completed | in_progress | failed | not_started")
    seconds: int
    basis: str = Field(description="How the result was decided.")
    source: str = Field(description="initial | sync | manual | update")
    changed_by: str
    changed_at: datetime | None
    reason: str | None


class RosterOut(BaseModel):
    session_id: uuid.UUID
    version: int
    submitted_at: datetime | None
    submitted_by: str | None
    update_allowed_at: datetime | None
    summary: dict[str, int]
    entries: list[EntryOut]


class VersionOut(BaseModel):
    number: int
    reason: str
    actor: str
    note: str | None
    changed_entries: int
    created_at: datetime


class ChangeOut(BaseModel):
    enrollment_id: uuid.UUID
    user_id: uuid.UUID
    field: str
    before: str | int | None
    after: str | int | None


class CompareOut(BaseModel):
    before: int
    after: int
    changes: list[ChangeOut]


class EditBody(Body):
    attendance: AttendanceMark | None = None
    completion: Completion | None = None
    seconds: Count | None = None
    reason: str = Field(min_length=1, description="Why; kept in the audit log.")


class UpdateBody(Body):
    confirm_overwrite: bool = Field(
        default=False, description="Updating overwrites the roster, manual edits included."
    )


class UpdateOut(BaseModel):
    version: int
    note: str
    roster: RosterOut


class ReopenBody(Body):
    reason: str = Field(min_length=1)


def entry_out(entry: RosterEntry, people: dict[uuid.UUID, User]) -> EntryOut:
    person = people.get(uuid.UUID(entry.user_id))
    return EntryOut(
        enrollment_id=uuid.UUID(entry.enrollment_id),
        user_id=uuid.UUID(entry.user_id),
        display_name=person.display_name if person else "",
        email=person.email if person else "",
        attendance=entry.attendance.value,
        completion=entry.completion.value,
        seconds=entry.seconds,
        basis=entry.basis,
        source=entry.source.value,
        changed_by=entry.changed_by,
        changed_at=entry.changed_at,
        reason=entry.reason,
    )


async def _roster(
    runtime: RuntimeDep, account_id: uuid.UUID, session_id: uuid.UUID, number: int | None = None
) -> RosterOut:
    async with runtime.db.reading() as tx:
        session = await sessions_service.get(tx, account_id, session_id)
        view = await service.view(tx, session, number)
        people = await enrollments_repo.users_of(tx, session.id)
    return RosterOut(
        session_id=session_id,
        version=view.version,
        submitted_at=view.submitted_at,
        submitted_by=view.submitted_by,
        update_allowed_at=view.update_allowed_at,
        summary=summary(view.entries),
        entries=[entry_out(e, people) for e in view.entries],
    )


@router.get("", response_model=RosterOut)
async def get_roster(session_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep) -> RosterOut:
    return await _roster(runtime, principal.account_id, session_id)


@router.patch("/{enrollment_id}", response_model=RosterOut)
async def edit_entry(
    session_id: uuid.UUID,
    enrollment_id: uuid.UUID,
    body: EditBody,
    runtime: RuntimeDep,
    principal: PrincipalDep,
) -> RosterOut:
    """Change one learner's result by hand. It wins over later automatic syncs."""
    async with runtime.db.transaction() as tx:
        session = await sessions_service.get(tx, principal.account_id, session_id, for_update=True)
        await service.edit(
            runtime.ctx,
            tx,
            session,
            enrollment_id,
            attendance=body.attendance,
            completion=body.completion,
            seconds=body.seconds,
            reason=body.reason,
            actor=principal.actor,
        )
    return await _roster(runtime, principal.account_id, session_id)


@router.post("/update", response_model=UpdateOut)
async def update_roster(
    session_id: uuid.UUID, body: UpdateBody, runtime: RuntimeDep, principal: PrincipalDep
) -> UpdateOut:
    """Fetch attendance from the provider directly and overwrite the roster, manual edits
    included. Allowed 24 h after the end (409 with ``allowed_at`` before)."""
    async with runtime.db.reading() as tx:
        job = await roster_update.prepare(
            runtime.ctx, tx, principal.account_id, session_id, body.confirm_overwrite
        )
    fetched = await roster_update.fetch(runtime.ctx, job)
    async with runtime.db.transaction() as tx:
        outcome = await roster_update.finish(
            runtime.ctx, tx, principal.account_id, job, fetched, principal.actor
        )
    return UpdateOut(
        version=outcome.version,
        note=outcome.note,
        roster=await _roster(runtime, principal.account_id, session_id),
    )


@router.post("/submit", response_model=RosterOut)
async def submit_roster(session_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep) -> RosterOut:
    """Lock the roster and publish its results."""
    async with runtime.db.transaction() as tx:
        session = await sessions_service.get(tx, principal.account_id, session_id, for_update=True)
        await service.submit(runtime.ctx, tx, session, principal.actor)
    return await _roster(runtime, principal.account_id, session_id)


@router.post("/reopen", response_model=RosterOut)
async def reopen_roster(
    session_id: uuid.UUID, body: ReopenBody, runtime: RuntimeDep, principal: PrincipalDep
) -> RosterOut:
    async with runtime.db.transaction() as tx:
        session = await sessions_service.get(tx, principal.account_id, session_id, for_update=True)
        await service.reopen(runtime.ctx, tx, session, principal.actor, body.reason)
    return await _roster(runtime, principal.account_id, session_id)


@router.get("/versions", response_model=list[VersionOut])
async def list_versions(
    session_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep
) -> list[VersionOut]:
    async with runtime.db.reading() as tx:
        session = await sessions_service.get(tx, principal.account_id, session_id)
        return [
            VersionOut.model_validate(v, from_attributes=True) for v in await service.versions(tx, session)
        ]


@router.get("/versions/compare", response_model=CompareOut)
async def compare_versions(
    session_id: uuid.UUID,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    before: Annotated[int, Query(ge=0, le=2**31 - 1)],
    after: Annotated[int, Query(ge=1, le=2**31 - 1)],
) -> CompareOut:
    """What changed for whom between two versions (0 is the empty roster)."""
    async with runtime.db.reading() as tx:
        session = await sessions_service.get(tx, principal.account_id, session_id)
        changes = await service.compare(tx, session, before, after)
    return CompareOut(
        before=before,
        after=after,
        changes=[
            ChangeOut(
                enrollment_id=uuid.UUID(c.enrollment_id),
                user_id=uuid.UUID(c.user_id),
                field=c.field,
                before=c.before,
                after=c.after,
            )
            for c in changes
        ],
    )


@router.get("/versions/{number}", response_model=RosterOut)
async def get_version(
    session_id: uuid.UUID,
    number: Annotated[int, Path(ge=1, le=2**31 - 1)],
    runtime: RuntimeDep,
    principal: PrincipalDep,
) -> RosterOut:
    return await _roster(runtime, principal.account_id, session_id, number)


class AuditOut(BaseModel):
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None


@router.get("/audit", response_model=list[AuditOut])
async def roster_audit(session_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep) -> list[AuditOut]:
    """Who changed what on this session and its roster, oldest first: edits by hand (before and
    after, with the reason), bindings of unmatched records, Update roster, submit and reopen,
    enrollments, walk-ins and promotions."""
    async with runtime.db.reading() as tx:
        session = await sessions_service.get(tx, principal.account_id, session_id)
        objects = [("session", str(session.id))] + [
            ("enrollment", str(e)) for e in await enrollments_repo.ids_of_session(tx, session.id)
        ]
        entries = await audit_repo.for_objects(tx, principal.account_id, objects)
    return [AuditOut.model_validate(e, from_attributes=True) for e in entries]
