"""Events, sessions and their instructors."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Select, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.storage.db import Database
from vilt.storage.models import Enrollment, Event, Integration, Session, SessionInstructor, User


async def get_event(tx: AsyncSession, account_id: uuid.UUID, event_id: uuid.UUID) -> Event | None:
    return await tx.scalar(select(Event).where(Event.account_id == account_id, Event.id == event_id))


def events_listing(account_id: uuid.UUID) -> Select[Event]:
    return select(Event).where(Event.account_id == account_id).order_by(Event.created_at, Event.id)


async def get_session(
    tx: AsyncSession, account_id: uuid.UUID, session_id: uuid.UUID, *, for_update: bool = False
) -> Session | None:
    query = select(Session).where(Session.account_id == account_id, Session.id == session_id)
    if for_update:
        query = query.with_for_update()
    return await tx.scalar(query)


async def session_by_id(
    tx: AsyncSession, session_id: uuid.UUID, *, for_update: bool = False
) -> Session | None:
    query = select(Session).where(Session.id == session_id)
    if for_update:
        query = query.with_for_update()
    return await tx.scalar(query)


async def session_by_provider_ref(
    tx: AsyncSession, integration_id: uuid.UUID, provider_ref: str
) -> Session | None:
    return await tx.scalar(
        select(Session).where(Session.integration_id == integration_id, Session.provider_ref == provider_ref)
    )


def sessions_listing(account_id: uuid.UUID, event_id: uuid.UUID) -> Select[Session]:
    return (
        select(Session)
        .where(Session.account_id == account_id, Session.event_id == event_id)
        .order_by(Session.starts_at, Session.id)
    )


async def sessions_of_event(tx: AsyncSession, event_id: uuid.UUID) -> list[Session]:
    query = select(Session).where(Session.event_id == event_id).order_by(Session.starts_at)
    return list((await tx.scalars(query)).all())


async def instructor_ids(tx: AsyncSession, session_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await tx.scalars(
        select(SessionInstructor.user_id).where(SessionInstructor.session_id == session_id)
    )
    return list(rows.all())


async def instructors(tx: AsyncSession, session_id: uuid.UUID) -> list[User]:
    query = (
        select(User)
        .join(SessionInstructor, SessionInstructor.user_id == User.id)
        .where(SessionInstructor.session_id == session_id)
        .order_by(User.display_name)
    )
    return list((await tx.scalars(query)).all())


async def set_instructors(tx: AsyncSession, session_id: uuid.UUID, user_ids: Sequence[uuid.UUID]) -> None:
    await tx.execute(delete(SessionInstructor).where(SessionInstructor.session_id == session_id))
    tx.add_all(SessionInstructor(session_id=session_id, user_id=u) for u in dict.fromkeys(user_ids))
    await tx.flush()


# Built once: the launch read is the hot path, so it skips statement construction and the ORM.
_LAUNCH_QUERY = (
    select(
        Session.state,
        Session.starts_at,
        Session.provider_ref,
        Session.provider_data,
        Session.integration_id,
        Session.sync_error,
        Integration.revision.label("integration_revision"),
        Integration.active.label("integration_active"),
        Integration.learner_lead_minutes,
        Integration.instructor_lead_minutes,
        Enrollment.id.label("enrollment_id"),
        Enrollment.status.label("enrollment_status"),
        Enrollment.identity,
        Enrollment.join_url,
        SessionInstructor.user_id.label("instructor_id"),
        User.display_name,
        User.email,
    )
    .select_from(Session)
    .join(User, (User.id == bindparam("user_id")) & (User.account_id == Session.account_id))
    .outerjoin(Integration, Integration.id == Session.integration_id)
    .outerjoin(
        Enrollment, (Enrollment.session_id == Session.id) & (Enrollment.user_id == bindparam("user_id"))
    )
    .outerjoin(
        SessionInstructor,
        (SessionInstructor.session_id == Session.id) & (SessionInstructor.user_id == bindparam("user_id")),
    )
    .where(Session.id == bindparam("session_id"), Session.account_id == bindparam("account_id"))
)


async def launch_row(
    db: Database, account_id: uuid.UUID, session_id: uuid.UUID, user_id: uuid.UUID
) -> Row[Any] | None:
    """Everything a launch needs, in one indexed query."""
    return await db.hot_first(
        _LAUNCH_QUERY, {"account_id": account_id, "session_id": session_id, "user_id": user_id}
    )
