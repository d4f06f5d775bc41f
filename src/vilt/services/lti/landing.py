"""What a resource-link launch lands on: a learner's sessions of the linked event (with Join
inside the window), or the event's management summary for an instructor."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.launch import DEFAULT_INSTRUCTOR_LEAD, DEFAULT_LEARNER_LEAD
from vilt.core.sessions import SessionMode, local_time
from vilt.services import enrollments
from vilt.services.context import Actor, ServiceContext
from vilt.storage.lti_models import LtiResourceLink
from vilt.storage.models import Event, Integration, Session, User
from vilt.storage.repositories import enrollments as enrollments_repo
from vilt.storage.repositories import events as events_repo
from vilt.storage.repositories import lti as repo
from vilt.storage.repositories import roster as roster_repo


@dataclass(frozen=True)
class SessionLine:
    session: Session
    local_start: datetime
    opens_at: datetime
    enrollment_status: str | None
    can_join: bool
    is_instructor: bool
    registered: int = 0
    waitlisted: int = 0
    completion: str | None = None


@dataclass(frozen=True)
class EventView:
    event: Event
    lines: list[SessionLine]


async def _lead(tx: AsyncSession, session: Session, *, instructor: bool) -> timedelta:
    if session.integration_id is None:
        return DEFAULT_INSTRUCTOR_LEAD if instructor else DEFAULT_LEARNER_LEAD
    integration = await tx.get(Integration, session.integration_id)
    if integration is None:
        return DEFAULT_LEARNER_LEAD
    return timedelta(
        minutes=integration.instructor_lead_minutes if instructor else integration.learner_lead_minutes
    )


async def auto_enroll(
    ctx: ServiceContext, tx: AsyncSession, event: Event, user: User, actor: Actor
) -> list[uuid.UUID]:
    """A learner arriving from the LMS is enrolled where there is no choice to make: every open
    part of a series, or the only open session of an event."""
    sessions = await repo.open_sessions_of_event(tx, event.id)
    mine = [s for s in sessions if await enrollments_repo.of_user(tx, s.id, user.id) is not None]
    if mine and event.session_mode != SessionMode.SERIES.value:
        return []
    targets = (
        sessions
        if event.session_mode == SessionMode.SERIES.value
        else sessions[:1]
        if len(sessions) == 1
        else []
    )
    enrolled = []
    for session in targets:
        if await enrollments_repo.of_user(tx, session.id, user.id) is None:
            await enrollments.enroll(ctx, tx, session, user.id, actor)
            enrolled.append(session.id)
    return enrolled


async def event_view(
    ctx: ServiceContext, tx: AsyncSession, link: LtiResourceLink, user: User, *, manager: bool
) -> EventView | None:
    if link.event_id is None:
        return None
    event = await events_repo.get_event(tx, link.account_id, link.event_id)
    if event is None:
        return None
    now = ctx.clock.now()
    lines = []
    for session in await events_repo.sessions_of_event(tx, event.id):
        if session.state == "canceled" and not manager:
            continue
        is_instructor = user.id in await events_repo.instructor_ids(tx, session.id)
        enrollment = await enrollments_repo.of_user(tx, session.id, user.id)
        opens = session.starts_at - await _lead(tx, session, instructor=is_instructor)
        status = enrollment.status if enrollment else None
        open_state = session.state in ("scheduled", "live") and session.integration_id is not None
        can_join = open_state and now >= opens and (is_instructor or status == "registered")
        counts = await enrollments_repo.counts(tx, session.id) if manager else {}
        result = None
        if enrollment is not None:
            results = await roster_repo.current_for_enrollments(tx, [enrollment.id])
            entry = results.get(enrollment.id)
            result = entry.completion if entry else None
        lines.append(
            SessionLine(
                session=session,
                local_start=local_time(session.starts_at, user.time_zone),
                opens_at=opens,
                enrollment_status=status,
                can_join=can_join,
                is_instructor=is_instructor,
                registered=counts.get("registered", 0),
                waitlisted=counts.get("waitlisted", 0),
                completion=result,
            )
        )
    return EventView(event, lines)
