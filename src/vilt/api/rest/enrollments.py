"""``/sessions/{id}/enrollments``: learners on a session, with capacity and the waitlist."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from vilt.api.deps import PrincipalDep, RuntimeDep
from vilt.api.rest.common import ERRORS, Body, Cursor, Limit, Page
from vilt.services import enrollments as service
from vilt.services import sessions as sessions_service
from vilt.storage.models import Enrollment
from vilt.storage.repositories import enrollments as repo
from vilt.storage.repositories.paging import paginate

router = APIRouter(prefix="/sessions/{session_id}/enrollments", tags=["enrollments"], responses=ERRORS)


class EnrollBody(Body):
    user_id: uuid.UUID


class EnrollmentOut(BaseModel):
    id: uuid.UUID
    session_id: uuid.UUID
    user_id: uuid.UUID
    status: str = Field(description="registered | waitlisted | canceled")
    position: int
    walk_in: bool = Field(description="Added by attendance (the integration's walk-in policy).")
    has_personal_url: bool
    created_at: datetime
    updated_at: datetime


class CancelOut(BaseModel):
    enrollment: EnrollmentOut
    promoted: list[EnrollmentOut]


def enrollment_out(row: Enrollment) -> EnrollmentOut:
    return EnrollmentOut(
        id=row.id,
        session_id=row.session_id,
        user_id=row.user_id,
        status=row.status,
        position=row.position,
        walk_in=bool(row.walk_in),
        has_personal_url=row.join_url is not None,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@router.get("", response_model=Page[EnrollmentOut])
async def list_enrollments(
    session_id: uuid.UUID,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    status: str | None = None,
) -> Page[EnrollmentOut]:
    async with runtime.db.reading() as tx:
        await sessions_service.get(tx, principal.account_id, session_id)
        page = await paginate(tx, repo.listing(session_id, status), limit, cursor)
        return Page(items=[enrollment_out(e) for e in page.items], next_cursor=page.next_cursor)


@router.post("", response_model=EnrollmentOut, status_code=201)
async def enroll(
    session_id: uuid.UUID, body: EnrollBody, runtime: RuntimeDep, principal: PrincipalDep
) -> EnrollmentOut:
    """Enroll a learner; beyond capacity they are waitlisted. Enrolling twice changes nothing."""
    async with runtime.db.transaction() as tx:
        session = await service.session_of(tx, principal.account_id, session_id)
        enrolled = enrollment_out(
            await service.enroll(runtime.ctx, tx, session, body.user_id, principal.actor)
        )
    runtime.worker.wake.set()  # a registrant provider registers the learner ahead of their launch
    return enrolled


@router.delete("/{enrollment_id}", response_model=CancelOut)
async def cancel_enrollment(
    session_id: uuid.UUID, enrollment_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep
) -> CancelOut:
    """Cancel an enrollment; the first waitlisted learner gets the seat."""
    async with runtime.db.transaction() as tx:
        session = await service.session_of(tx, principal.account_id, session_id)
        canceled, promoted = await service.cancel(runtime.ctx, tx, session, enrollment_id, principal.actor)
        answer = CancelOut(
            enrollment=enrollment_out(canceled), promoted=[enrollment_out(p) for p in promoted]
        )
    runtime.worker.wake.set()
    return answer
