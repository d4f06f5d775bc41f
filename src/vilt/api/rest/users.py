"""``/users``: people in the account, and a learner's transcript."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.api.deps import PrincipalDep, RuntimeDep
from vilt.api.rest.common import ERRORS, Body, Cursor, Limit, Page
from vilt.core.identity import normalize_email
from vilt.services import transcript as transcript_service
from vilt.services import users as service
from vilt.services.users import UserInput
from vilt.storage.models import User
from vilt.storage.repositories import users as repo
from vilt.storage.repositories.paging import paginate

router = APIRouter(prefix="/users", tags=["users"], responses=ERRORS)


class UserFields(Body):
    email: str | None = None
    display_name: str | None = None
    time_zone: str | None = Field(default=None, description="IANA zone, e.g. Europe/Berlin")
    locale: str | None = Field(default=None, description="en or ru")
    roles: list[str] | None = Field(default=None, description="admin, instructor, learner")
    aliases: list[str] | None = Field(default=None, description="Other addresses this person uses")
    lms_id: str | None = None

    def to_input(self) -> UserInput:
        return UserInput(**self.model_dump())


class UserCreate(UserFields):
    email: str
    display_name: str


class UserOut(BaseModel):
    id: uuid.UUID
    email: str
    display_name: str
    time_zone: str
    locale: str
    roles: list[str]
    aliases: list[str]
    lms_id: str | None
    created_at: datetime


async def user_out(tx: AsyncSession, row: User) -> UserOut:
    return UserOut(
        id=row.id,
        email=row.email,
        display_name=row.display_name,
        time_zone=row.time_zone,
        locale=row.locale,
        roles=list(row.roles),
        aliases=await service.aliases(tx, row.id),
        lms_id=row.lms_id,
        created_at=row.created_at,
    )


@router.get("", response_model=Page[UserOut])
async def list_users(
    runtime: RuntimeDep,
    principal: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    email: str | None = Query(default=None, description="Find by any address, aliases included."),
) -> Page[UserOut]:
    async with runtime.db.reading() as tx:
        query = repo.listing(principal.account_id, normalize_email(email) if email else None)
        page = await paginate(tx, query, limit, cursor)
        return Page(items=[await user_out(tx, u) for u in page.items], next_cursor=page.next_cursor)


@router.post("", response_model=UserOut, status_code=201)
async def create_user(body: UserCreate, runtime: RuntimeDep, principal: PrincipalDep) -> UserOut:
    async with runtime.db.transaction() as tx:
        row = await service.create(runtime.ctx, tx, principal.account_id, body.to_input(), principal.actor)
        return await user_out(tx, row)


@router.get("/{user_id}", response_model=UserOut)
async def get_user(user_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep) -> UserOut:
    async with runtime.db.reading() as tx:
        return await user_out(tx, await service.get(tx, principal.account_id, user_id))


@router.patch("/{user_id}", response_model=UserOut)
async def update_user(
    user_id: uuid.UUID, body: UserFields, runtime: RuntimeDep, principal: PrincipalDep
) -> UserOut:
    async with runtime.db.transaction() as tx:
        row = await service.update(
            runtime.ctx, tx, principal.account_id, user_id, body.to_input(), principal.actor
        )
        return await user_out(tx, row)


class TranscriptResult(BaseModel):
    attendance: str
    completion: str
    seconds: int
    basis: str


class TranscriptLineOut(BaseModel):
    enrollment_id: uuid.UUID
    enrollment_status: str
    session_id: uuid.UUID
    event_title: str
    session_title: str
    state: str
    starts_at: datetime
    starts_at_local: datetime = Field(description="The start in the learner's own time zone.")
    duration_minutes: int
    opens_at: datetime = Field(description="When the learner may launch.")
    can_launch: bool
    result: TranscriptResult | None


class TranscriptEventOut(BaseModel):
    event_id: uuid.UUID
    event_title: str
    session_mode: str = Field(description="alternative | series")
    completion: str = Field(description="The result for the whole event.")
    completed_parts: int
    required_parts: int
    total_parts: int
    basis: str


class TranscriptOut(BaseModel):
    user_id: uuid.UUID
    time_zone: str
    lines: list[TranscriptLineOut]
    events: list[TranscriptEventOut] = Field(description="Per event: its sessions' results combined.")


@router.get("/{user_id}/transcript", response_model=TranscriptOut)
async def get_transcript(user_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep) -> TranscriptOut:
    async with runtime.db.reading() as tx:
        user, lines = await transcript_service.transcript(
            tx, principal.account_id, user_id, runtime.clock.now()
        )
        per_event = await transcript_service.event_lines(tx, user.id, lines)
    return TranscriptOut(
        user_id=user.id,
        time_zone=user.time_zone,
        lines=[
            TranscriptLineOut(
                enrollment_id=line.enrollment.id,
                enrollment_status=line.enrollment.status,
                session_id=line.session.id,
                event_title=line.event_title,
                session_title=line.session.title,
                state=line.session.state,
                starts_at=line.session.starts_at,
                starts_at_local=line.local_starts_at,
                duration_minutes=line.session.duration_minutes,
                opens_at=line.opens_at,
                can_launch=line.can_launch,
                result=TranscriptResult(
                    attendance=line.result.attendance,
                    completion=line.result.completion,
                    seconds=line.result.seconds,
                    basis=line.result.basis,
                )
                if line.result
                else None,
            )
            for line in lines
        ],
        events=[
            TranscriptEventOut(
                event_id=e.event.id,
                event_title=e.event.title,
                session_mode=e.event.session_mode,
                completion=e.result.result.completion.value,
                completed_parts=e.result.result.completed_parts,
                required_parts=e.result.result.required_parts,
                total_parts=e.result.result.total_parts,
                basis=e.result.result.basis,
            )
            for e in per_event
        ],
    )
