"""``/events/{id}/results`` and ``/events/{id}/enrollments``: a learner's result for the whole
event (series: N of M parts; alternative: one completed session), and enrolling in a series."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from vilt.api.deps import PrincipalDep, RuntimeDep
from vilt.api.rest.common import ERRORS, Body
from vilt.api.rest.enrollments import EnrollmentOut, enrollment_out
from vilt.core.errors import Conflict, ValidationFailed
from vilt.core.event_result import Part
from vilt.core.sessions import SessionMode
from vilt.services import enrollments as enrollments_service
from vilt.services import event_results
from vilt.services import events as events_service
from vilt.storage.repositories import enrollments as enrollments_repo
from vilt.storage.repositories import events as events_repo
from vilt.storage.repositories import users as users_repo

router = APIRouter(prefix="/events/{event_id}", tags=["events"], responses=ERRORS)


class PartOut(BaseModel):
    session_id: uuid.UUID
    starts_at: datetime
    session_state: str
    enrollment_status: str | None
    completion: str | None


class EventResultOut(BaseModel):
    user_id: uuid.UUID
    display_name: str
    email: str
    completion: str = Field(description="completed | in_progress | failed | not_started")
    completed_parts: int
    required_parts: int
    total_parts: int
    basis: str
    parts: list[PartOut]


class EventResultsOut(BaseModel):
    event_id: uuid.UUID
    session_mode: str
    series_required_parts: int | None
    items: list[EventResultOut]


def part_out(part: Part) -> PartOut:
    return PartOut(
        session_id=uuid.UUID(part.session_id),
        starts_at=part.starts_at,
        session_state=part.session_state,
        enrollment_status=part.enrollment_status,
        completion=part.completion.value if part.completion else None,
    )


@router.get("/results", response_model=EventResultsOut)
async def event_results_list(
    event_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep
) -> EventResultsOut:
    """Every enrolled learner's result for the event, with the part results it comes from."""
    async with runtime.db.reading() as tx:
        event = await events_service.get(tx, principal.account_id, event_id)
        found = await event_results.for_event(tx, event)
        people = {
            u.id: u for u in await users_repo.many(tx, principal.account_id, {r.user_id for r in found})
        }
    items = []
    for learner in found:
        person = people.get(learner.user_id)
        items.append(
            EventResultOut(
                user_id=learner.user_id,
                display_name=person.display_name if person else "",
                email=person.email if person else "",
                completion=learner.result.completion.value,
                completed_parts=learner.result.completed_parts,
                required_parts=learner.result.required_parts,
                total_parts=learner.result.total_parts,
                basis=learner.result.basis,
                parts=[part_out(p) for p in learner.parts],
            )
        )
    items.sort(key=lambda i: (i.display_name, str(i.user_id)))
    return EventResultsOut(
        event_id=event.id,
        session_mode=event.session_mode,
        series_required_parts=event.series_required_parts,
        items=items,
    )


class SeriesEnrollBody(Body):
    user_id: uuid.UUID


@router.post("/enrollments", response_model=list[EnrollmentOut], status_code=201)
async def enroll_in_series(
    event_id: uuid.UUID, body: SeriesEnrollBody, runtime: RuntimeDep, principal: PrincipalDep
) -> list[EnrollmentOut]:
    """Enroll a learner in a series: every part that has not ended or been canceled (each part
    keeps its capacity, so a full part waitlists). Parts added later take the learner in too."""
    async with runtime.db.transaction() as tx:
        event = await events_service.get(tx, principal.account_id, event_id)
        if event.session_mode != SessionMode.SERIES.value:
            raise ValidationFailed.one(
                "event_id", "This event's sessions are alternatives: enroll the learner in one session."
            )
        parts = [
            s for s in await events_repo.sessions_of_event(tx, event.id) if s.state in ("scheduled", "live")
        ]
        if not parts:
            raise Conflict("The series has no session open for enrollment.")
        first = await enrollments_service.session_of(tx, principal.account_id, parts[0].id)
        await enrollments_service.enroll(runtime.ctx, tx, first, body.user_id, principal.actor)
        rows = [
            e
            for e, s in await enrollments_repo.of_event_user(tx, event.id, body.user_id)
            if s.state in ("scheduled", "live")
        ]
        return [enrollment_out(e) for e in rows]
