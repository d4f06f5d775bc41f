"""``/sessions/{id}/attendance``: what providers reported, and how each record was matched."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from vilt.api.deps import PrincipalDep, RuntimeDep
from vilt.api.rest.common import ERRORS, Body
from vilt.services import attendance_review
from vilt.services import sessions as sessions_service
from vilt.storage.repositories import attendance as repo

router = APIRouter(prefix="/sessions/{session_id}/attendance", tags=["attendance"], responses=ERRORS)


class IntervalOut(BaseModel):
    joined_at: datetime
    left_at: datetime


class RecordOut(BaseModel):
    id: uuid.UUID
    participant_key: str
    display_name: str
    email: str | None
    bound_identity: str | None
    role: str
    intervals: list[IntervalOut]
    total_seconds: int
    polls_answered: int
    polls_asked: int
    user_id: uuid.UUID | None
    enrollment_id: uuid.UUID | None
    match: str = Field(description="identity | manual | email | none")
    outcome: str = Field(description="enrolled | not_enrolled | unmatched")
    suggestions: list[uuid.UUID] = Field(description="Users with the same name: a suggestion only.")


class ImportOut(BaseModel):
    id: uuid.UUID
    source: str
    received_at: datetime
    record_count: int


class AttendanceOut(BaseModel):
    state: str
    note: str | None
    current_import: ImportOut | None
    imports: list[ImportOut]
    records: list[RecordOut]


@router.get("", response_model=AttendanceOut)
async def get_attendance(
    session_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep
) -> AttendanceOut:
    async with runtime.db.reading() as tx:
        session = await sessions_service.get(tx, principal.account_id, session_id)
        imports = await repo.imports(tx, session.id)
        latest = await repo.latest_import(tx, session.id)
        records = await repo.records(tx, latest.id) if latest else []

    def import_out(i: object) -> ImportOut:
        return ImportOut.model_validate(i, from_attributes=True)

    return AttendanceOut(
        state=session.attendance_state,
        note=session.attendance_note,
        current_import=import_out(latest) if latest else None,
        imports=[import_out(i) for i in imports],
        records=[
            RecordOut(
                id=r.id,
                participant_key=r.participant_key,
                display_name=r.display_name,
                email=r.email,
                bound_identity=r.bound_identity,
                role=r.role,
                intervals=[
                    IntervalOut(joined_at=datetime.fromisoformat(a), left_at=datetime.fromisoformat(b))
                    for a, b in r.intervals
                ],
                total_seconds=r.total_seconds,
                polls_answered=r.polls_answered,
                polls_asked=r.polls_asked,
                user_id=r.user_id,
                enrollment_id=r.enrollment_id,
                match=r.match_method,
                outcome="enrolled" if r.enrollment_id else "not_enrolled" if r.user_id else "unmatched",
                suggestions=[uuid.UUID(s) for s in r.suggestions],
            )
            for r in records
        ],
    )


class SuggestionOut(BaseModel):
    user_id: uuid.UUID
    display_name: str
    email: str


class UnmatchedOut(BaseModel):
    id: uuid.UUID
    participant_key: str
    display_name: str
    email: str | None
    intervals: list[IntervalOut]
    total_seconds: int
    suggestions: list[SuggestionOut] = Field(description="Users with the same name; never applied.")


class UnmatchedList(BaseModel):
    items: list[UnmatchedOut]


class BindBody(Body):
    user_id: uuid.UUID = Field(description="Who this participant was.")


class BindOut(BaseModel):
    record_id: uuid.UUID
    user_id: uuid.UUID
    enrollment_id: uuid.UUID | None = Field(
        description="Empty when the user is not enrolled (and walk-ins are ignored)."
    )
    alias_added: str | None = Field(description="The record's email, now an alias of the user.")
    note: str
    roster_version: int | None = Field(description="The roster version the binding wrote, if it changed it.")


@router.get("/unmatched", response_model=UnmatchedList)
async def list_unmatched(
    session_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep
) -> UnmatchedList:
    """Records of the current import that matched nobody, with name-based suggestions to review."""
    async with runtime.db.reading() as tx:
        session = await sessions_service.get(tx, principal.account_id, session_id)
        found = await attendance_review.unmatched(tx, session)
    return UnmatchedList(
        items=[
            UnmatchedOut(
                id=u.record.id,
                participant_key=u.record.participant_key,
                display_name=u.record.display_name,
                email=u.record.email,
                intervals=[
                    IntervalOut(joined_at=datetime.fromisoformat(a), left_at=datetime.fromisoformat(b))
                    for a, b in u.record.intervals
                ],
                total_seconds=u.record.total_seconds,
                suggestions=[
                    SuggestionOut(user_id=s.user_id, display_name=s.display_name, email=s.email)
                    for s in u.suggestions
                ],
            )
            for u in found
        ]
    )


@router.post("/records/{record_id}/bind", response_model=BindOut)
async def bind_record(
    session_id: uuid.UUID, record_id: uuid.UUID, body: BindBody, runtime: RuntimeDep, principal: PrincipalDep
) -> BindOut:
    """Say who an unmatched participant was: the roster is recomputed, later imports of this session
    keep the answer, and the record's email becomes an alias of the user. Audited."""
    async with runtime.db.transaction() as tx:
        session = await sessions_service.get(tx, principal.account_id, session_id, for_update=True)
        bound = await attendance_review.bind(
            runtime.ctx, tx, session, record_id, body.user_id, principal.actor
        )
        return BindOut(
            record_id=bound.record.id,
            user_id=body.user_id,
            enrollment_id=bound.enrollment_id,
            alias_added=bound.alias_added,
            note=bound.note,
            roster_version=bound.roster_version,
        )
