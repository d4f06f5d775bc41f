"""A learner's transcript: their sessions, when each can be launched, and their results."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.launch import DEFAULT_LEARNER_LEAD
from vilt.core.sessions import local_time
from vilt.services import event_results, users
from vilt.storage.models import Enrollment, Event, Integration, RosterEntry, Session, User
from vilt.storage.repositories import enrollments as enrollments_repo
from vilt.storage.repositories import roster as roster_repo


@dataclass(frozen=True)
class TranscriptLine:
    enrollment: Enrollment
    session: Session
    event_title: str
    opens_at: datetime
    can_launch: bool
    local_starts_at: datetime
    result: RosterEntry | None


@dataclass(frozen=True)
class TranscriptEvent:
    event: Event
    result: event_results.LearnerResult


async def event_lines(
    tx: AsyncSession, user_id: uuid.UUID, lines: list[TranscriptLine]
) -> list[TranscriptEvent]:
    """The learner's result per event (series N of M, or one of the alternatives)."""
    events: dict[uuid.UUID, Event] = {}
    for line in lines:
        if line.session.event_id not in events:
            event = await tx.get(Event, line.session.event_id)
            if event is not None:
                events[event.id] = event
    results = await event_results.for_user_events(tx, user_id, list(events.values()))
    return [TranscriptEvent(event, results[event.id]) for event in events.values()]


async def transcript(
    tx: AsyncSession, account_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> tuple[User, list[TranscriptLine]]:
    user = await users.get(tx, account_id, user_id)
    rows = await enrollments_repo.transcript(tx, account_id, user.id)
    results = await roster_repo.current_for_enrollments(tx, [e.id for e, _ in rows])
    lines = []
    for enrollment, session in rows:
        event = await tx.get(Event, session.event_id)
        lead = DEFAULT_LEARNER_LEAD
        if session.integration_id:
            integration = await tx.get(Integration, session.integration_id)
            if integration is not None:
                lead = timedelta(minutes=integration.learner_lead_minutes)
        opens_at = session.starts_at - lead
        can_launch = (
            enrollment.status == "registered"
            and session.state in ("scheduled", "live")
            and session.integration_id is not None
            and now >= opens_at
        )
        lines.append(
            TranscriptLine(
                enrollment,
                session,
                event.title if event else session.title,
                opens_at,
                can_launch,
                local_time(session.starts_at, user.time_zone),
                results.get(enrollment.id),
            )
        )
    return user, lines
