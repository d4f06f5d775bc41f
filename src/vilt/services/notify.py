"""What the LMS is told, and when: each function is called in the transaction of the change it
announces, so the webhook is owed exactly when the change is committed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core import roster as core_roster
from vilt.services import webhooks
from vilt.services.context import ServiceContext
from vilt.storage.models import Enrollment, Session
from vilt.storage.repositories import users as users_repo

ENTRIES_IN_UPDATE = 1000
"""A ``roster.updated`` carries the changed lines up to this many; beyond, the receiver reads
the version from the API (its URL is in the message)."""


def _instant(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def session_data(session: Session) -> dict[str, Any]:
    return {
        "id": str(session.id),
        "event_id": str(session.event_id),
        "title": session.title,
        "state": session.state,
        "starts_at": _instant(session.starts_at),
        "ends_at": _instant(session.starts_at + timedelta(minutes=session.duration_minutes)),
        "time_zone": session.time_zone,
        "duration_minutes": session.duration_minutes,
        "capacity": session.capacity,
        "integration_id": str(session.integration_id) if session.integration_id else None,
        "ended_at": _instant(session.ended_at),
        "ended_by": session.ended_by,
        "sequence": session.sequence,
    }


async def session_updated(
    ctx: ServiceContext, tx: AsyncSession, session: Session, changed: Sequence[str]
) -> None:
    await webhooks.emit(
        ctx, tx, session.account_id, "session.updated", {**session_data(session), "changed": list(changed)}
    )


async def session_ended(ctx: ServiceContext, tx: AsyncSession, session: Session) -> None:
    """Owed once per end, however many paths notice it."""
    ended = session.ended_at.isoformat() if session.ended_at else ""
    await webhooks.emit(
        ctx, tx, session.account_id, "session.ended", session_data(session), key=f"{session.id}:{ended}"
    )


async def state_changed(ctx: ServiceContext, tx: AsyncSession, session: Session, before: str) -> None:
    """After the worker acted: announce a session that went live or ended meanwhile."""
    if session.state == before:
        return
    if session.state == "ended":
        await session_ended(ctx, tx, session)
    elif session.state == "live":
        await session_updated(ctx, tx, session, ["state"])


async def _entries(
    tx: AsyncSession, account_id: uuid.UUID, entries: Sequence[core_roster.RosterEntry]
) -> list[dict[str, Any]]:
    people = {u.id: u for u in await users_repo.many(tx, account_id, {uuid.UUID(e.user_id) for e in entries})}
    lines = []
    for entry in entries:
        person = people.get(uuid.UUID(entry.user_id))
        lines.append(
            {
                "enrollment_id": entry.enrollment_id,
                "user_id": entry.user_id,
                "email": person.email if person else None,
                "lms_id": person.lms_id if person else None,
                "attendance": entry.attendance.value,
                "completion": entry.completion.value,
                "seconds": entry.seconds,
                "basis": entry.basis,
                "source": entry.source.value,
            }
        )
    return lines


async def roster_updated(
    ctx: ServiceContext,
    tx: AsyncSession,
    session: Session,
    *,
    version: int,
    reason: str,
    actor: str,
    changed: Sequence[core_roster.RosterEntry],
) -> None:
    async def data() -> dict[str, Any]:
        included = len(changed) <= ENTRIES_IN_UPDATE
        return {
            "session_id": str(session.id),
            "version": version,
            "reason": reason,
            "actor": actor,
            "changed_entries": len(changed),
            "entries_included": included,
            "entries": await _entries(tx, session.account_id, changed) if included else [],
            "version_url": ctx.url(f"/api/v1/sessions/{session.id}/roster/versions/{version}"),
        }

    await webhooks.emit(ctx, tx, session.account_id, "roster.updated", data)


async def roster_submitted(
    ctx: ServiceContext,
    tx: AsyncSession,
    session: Session,
    *,
    version: int,
    entries: Sequence[core_roster.RosterEntry],
) -> None:
    """The publication: every line of the submitted roster."""

    async def data() -> dict[str, Any]:
        return {
            "session": session_data(session),
            "version": version,
            "submitted_at": _instant(session.roster_submitted_at),
            "submitted_by": session.roster_submitted_by,
            "summary": core_roster.summary(entries),
            "entries": await _entries(tx, session.account_id, entries),
        }

    await webhooks.emit(ctx, tx, session.account_id, "roster.submitted", data)


async def enrollment_updated(
    ctx: ServiceContext, tx: AsyncSession, enrollment: Enrollment, change: str
) -> None:
    """``change``: created, canceled, promoted, walk_in, join_url (a provider gave a new one)."""
    await webhooks.emit(
        ctx,
        tx,
        enrollment.account_id,
        "enrollment.updated",
        {
            "id": str(enrollment.id),
            "session_id": str(enrollment.session_id),
            "user_id": str(enrollment.user_id),
            "status": enrollment.status,
            "walk_in": bool(enrollment.walk_in),
            "join_url": enrollment.join_url,
            "change": change,
        },
    )
