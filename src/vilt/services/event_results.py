"""Per-event results: each learner's sessions of an event combined (series N of M, or one of
the alternatives), for the transcript and ``GET /events/{id}/results``."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.completion import Completion
from vilt.core.event_result import EventResult, Part, combine
from vilt.core.sessions import SessionMode
from vilt.storage.models import Event, Session
from vilt.storage.repositories import enrollments as enrollments_repo
from vilt.storage.repositories import events as events_repo
from vilt.storage.repositories import roster as roster_repo


@dataclass(frozen=True)
class LearnerResult:
    user_id: uuid.UUID
    result: EventResult
    parts: list[Part]


def _parts(sessions: list[Session], mine: dict[uuid.UUID, Any], results: dict[uuid.UUID, Any]) -> list[Part]:
    parts = []
    for session in sessions:
        enrollment = mine.get(session.id)
        entry = results.get(enrollment.id) if enrollment is not None else None
        parts.append(
            Part(
                session_id=str(session.id),
                starts_at=session.starts_at,
                session_state=session.state,
                enrollment_status=enrollment.status if enrollment is not None else None,
                completion=Completion(entry.completion)
                if entry is not None
                else Completion.NOT_STARTED
                if enrollment is not None and enrollment.status == "registered"
                else None,
            )
        )
    return parts


async def for_event(tx: AsyncSession, event: Event) -> list[LearnerResult]:
    sessions = await events_repo.sessions_of_event(tx, event.id)
    rows = await enrollments_repo.of_event(tx, event.id)
    results = await roster_repo.current_for_enrollments(tx, [e.id for e, _ in rows])
    by_user: dict[uuid.UUID, dict[uuid.UUID, Any]] = defaultdict(dict)
    for enrollment, session in rows:
        by_user[enrollment.user_id][session.id] = enrollment
    mode = SessionMode(event.session_mode)
    found = []
    for user_id, mine in by_user.items():
        parts = _parts(sessions, mine, results)
        found.append(LearnerResult(user_id, combine(mode, parts, event.series_required_parts), parts))
    return found


async def for_user_events(
    tx: AsyncSession, user_id: uuid.UUID, events: list[Event]
) -> dict[uuid.UUID, LearnerResult]:
    """One learner's result in each of ``events``."""
    found = {}
    for event in events:
        sessions = await events_repo.sessions_of_event(tx, event.id)
        rows = await enrollments_repo.of_event_user(tx, event.id, user_id)
        results = await roster_repo.current_for_enrollments(tx, [e.id for e, _ in rows])
        parts = _parts(sessions, {s.id: e for e, s in rows}, results)
        mode = SessionMode(event.session_mode)
        found[event.id] = LearnerResult(user_id, combine(mode, parts, event.series_required_parts), parts)
    return found
